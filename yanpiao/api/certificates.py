"""Certificates of verifications: fetch one as a signed PDF, check an uploaded one, and the
public status a certificate's QR code points at.  Adapters over :mod:`yanpiao.certificates`."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from ninja import File, Query, Schema
from ninja.files import UploadedFile

from yanpiao.access.visibility import verification_for
from yanpiao.api import routers
from yanpiao.api.callers import Caller, anyone, signed_in
from yanpiao.api.errors import ApiError, Error
from yanpiao.certificates import services as certificates

ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 413: Error, 429: Error}


class CertificateCheckAnswer(Schema):
    status: str  # genuine, altered, forged, not_certificate, unknown_verification
    genuine: bool
    message: str
    certifies: dict | None


class PublicStatus(Schema):
    verification_id: uuid.UUID
    exists: bool
    outcome: str
    description: str
    checked_at: str


PDF = {
    "responses": {
        200: {
            "description": "the certificate",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@routers.verifications.get(
    "/{uuid:verification_id}/certificate",
    response={200: None, **ERRORS},
    auth=signed_in,
    url_name="verification_certificate",
    openapi_extra=PDF,
)
def certificate(request, verification_id: uuid.UUID):
    """The verification's certificate: a one-page PDF with a PAdES signature."""
    caller: Caller = request.auth
    caller.require("history:read")
    verification = verification_for(caller.user, verification_id)
    response = HttpResponse(certificates.issue(caller.user, verification), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificates.filename(verification_id)}"'
    response["Cache-Control"] = "no-store"
    return response


@routers.certificates.post("/check", response={200: CertificateCheckAnswer, **ERRORS}, auth=anyone)
def check(request, file: File[UploadedFile]):
    """Whether an uploaded certificate is genuine, and what it certifies."""
    if file.size > certificates.MAX_BYTES:
        raise ApiError(
            413, "too_large", f"证书文件过大。A certificate is at most {certificates.MAX_BYTES} bytes."
        )
    return certificates.check(file.read()).to_json()


@routers.certificates.get("/{uuid:verification_id}", response={200: PublicStatus, **ERRORS}, auth=anyone)
def public_status(request, verification_id: uuid.UUID, key: str = Query("", max_length=64)):
    """What a certificate's QR code opens: whether the verification exists, its outcome and time.
    ``key`` is the one printed in the QR code; without it, or with another, the answer is 404."""
    status = certificates.public_status(verification_id, key)
    if status is None:
        raise ApiError(404)
    return status
