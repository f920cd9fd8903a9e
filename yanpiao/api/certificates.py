"""Certificates of verifications: fetch one as a signed PDF, check an uploaded one, and the
public status a certificate's QR code points at.  Adapters over :mod:`yanpiao.certificates`."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from ninja import File, Schema
from ninja.files import UploadedFile

from yanpiao.access.visibility import verification_for
from yanpiao.api import routers
from yanpiao.api.callers import Caller, anyone, signed_in
from yanpiao.api.errors import ApiError, Error


def _certificates():  # TEMPORARY until yanpiao.certificates lands
    from yanpiao.certificates import services

    return services


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 413: Error, 429: Error}


class CertificateCheckAnswer(Schema):
    status: str  # genuine, altered, forged, not_certificate, unknown_verification
    genuine: bool
    message: str
    certifies: dict | None


class PublicStatus(Schema):
    id: uuid.UUID
    outcome: str
    checked_at: str


@routers.verifications.get(
    "/{uuid:verification_id}/certificate",
    response={200: None, **ERRORS},
    auth=signed_in,
    url_name="verification_certificate",
)
def certificate(request, verification_id: uuid.UUID):
    """The verification's certificate: a one-page PDF with a PAdES signature."""
    caller: Caller = request.auth
    caller.require("history:read")
    verification = verification_for(caller.user, verification_id)
    response = HttpResponse(_certificates().issue(caller.user, verification), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="yanpiao-certificate-{verification_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@routers.certificates.post("/check", response={200: CertificateCheckAnswer, **ERRORS}, auth=anyone)
def check(request, file: File[UploadedFile]):
    """Whether an uploaded certificate is genuine, and what it certifies."""
    if file.size > _certificates().MAX_BYTES:
        raise ApiError(
            413, "too_large", f"证书文件过大。A certificate is at most {_certificates().MAX_BYTES} bytes."
        )
    found = _certificates().check(file.read())
    return {
        "status": found.status,
        "genuine": found.genuine,
        "message": found.message,
        "certifies": found.certifies,
    }


@routers.certificates.get("/{uuid:verification_id}", response={200: PublicStatus, **ERRORS}, auth=anyone)
def public_status(request, verification_id: uuid.UUID):
    """What a certificate's QR code opens: whether the verification exists, its outcome and time."""
    status = _certificates().public_status(verification_id)
    if status is None:
        raise ApiError(404)
    return status
