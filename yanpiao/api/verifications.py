"""``POST /verifications`` (typed fields), ``/verifications/qr`` (a scanner's payload) and
``/verifications/files`` (documents): thin adapters over :mod:`yanpiao.verification.services`.

The typed-field endpoint also takes the field names of the commercial aggregators' APIs
(``fpdm``, ``fphm``, ``kprq`` as ``YYYYMMDD``, ``jym``, ``je``, ``jshj``), so a client written
for them works unchanged.
"""

from __future__ import annotations

import functools
import re

from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from ninja import File, Schema
from ninja.files import UploadedFile
from pydantic import Field

from yanpiao.api import renderers, routers
from yanpiao.api.callers import Caller, anyone
from yanpiao.api.errors import ApiError, Error
from yanpiao.api.schemas import FilesAnswer, VerificationAnswer
from yanpiao.fapiao.compare import INVALID, Query
from yanpiao.fapiao.findings import errors
from yanpiao.intake.limits import RefusedDocument
from yanpiao.verification import services
from yanpiao.verification.models import Channel

router = routers.verifications
ERRORS = {400: Error, 401: Error, 403: Error, 413: Error, 429: Error}
MAX_FILES = services.MAX_DOCUMENTS_PER_UPLOAD
TEXT = {"max_length": 64}

# Our field name → the aggregators' name for the same field.
ALIASES = {
    "code": "fpdm",
    "number": "fphm",
    "issue_date": "kprq",
    "check_code": "jym",
    "amount": "je",
    "total": "jshj",
}


class TypedFields(Schema):
    """The key fields as the national platform asks for them; 专票 give ``amount`` (金额, without
    tax), 普票 ``check_code`` (校验码, its last 6 digits), 数电票 ``total`` (价税合计)."""

    code: str | None = Field(None, description="发票代码 (10 or 12 digits; none for 数电票)", **TEXT)
    number: str | None = Field(None, description="发票号码 (8 digits, or 20 for 数电票)", **TEXT)
    issue_date: str | None = Field(None, description="开票日期, YYYY-MM-DD or YYYYMMDD", **TEXT)
    amount: str | None = Field(None, description="金额, without tax (专票)", **TEXT)
    check_code: str | None = Field(None, description="校验码, its last 6 digits or all 20 (普票)", **TEXT)
    total: str | None = Field(None, description="价税合计, with tax (数电票)", **TEXT)
    type: str | None = Field(None, description="invoice type code (01, 04, 10, 31, 32 …); inferred", **TEXT)
    fpdm: str | None = Field(None, description="= code (aggregators' name)", **TEXT)
    fphm: str | None = Field(None, description="= number", **TEXT)
    kprq: str | None = Field(None, description="= issue_date, YYYYMMDD", **TEXT)
    jym: str | None = Field(None, description="= check_code", **TEXT)
    je: str | None = Field(None, description="= amount", **TEXT)
    jshj: str | None = Field(None, description="= total", **TEXT)


class QrPayload(Schema):
    payload: str = Field(
        ..., description="the QR code's text, as a scanner types it: 01,32,,2511…", max_length=512
    )


def query_of(fields: TypedFields) -> Query:
    """The query the fields name; a field given under both names must agree."""
    values, clashes = {}, {}
    for name, alias in ALIASES.items():
        ours, theirs = (getattr(fields, name) or "").strip(), (getattr(fields, alias) or "").strip()
        same = _date if name == "issue_date" else str
        if ours and theirs and same(ours) != same(theirs):
            clashes[name] = f"{name} 与 {alias} 不一致。{name} and {alias} disagree."
        values[name] = ours or theirs
    if clashes:
        raise ApiError(
            400,
            "invalid_request",
            "同一字段给出了两个不同的值。A field was given twice, differently.",
            clashes,
        )
    values["issue_date"] = _date(values["issue_date"])
    return Query.from_fields(type=fields.type or "", **values)


def _date(value: str) -> str:
    """``YYYYMMDD`` (the aggregators' 开票日期) as ``YYYY-MM-DD``; anything else as it is."""
    text = (value or "").strip()
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if re.fullmatch(r"\d{8}", text) else text


_ID_MARK = "00000000-0000-0000-0000-000000000000"


@functools.cache
def _certificate_path(script_prefix: str) -> str:
    """The certificate's path with a mark where the id goes (one ``reverse`` per prefix, not per call)."""
    return reverse("api:verification_certificate", args=[_ID_MARK])


def certificate_url(request, caller: Caller, verification_id) -> str | None:
    """Where the verifier fetches the certificate: only a signed-in verifier can fetch it later."""
    if not caller.signed_in:
        return None
    path = _certificate_path(get_script_prefix()).replace(_ID_MARK, str(verification_id))
    return request.build_absolute_uri(path)


def answer(request, caller: Caller, result: services.Result) -> dict:
    return result.to_json(certificate_url=certificate_url(request, caller, result.verification_id))


def answered(request, caller: Caller, result: services.Result) -> HttpResponse:
    """The verification answer, written as it is: it is made in the declared shape
    (``services.ANSWER_FIELDS``), so it is not validated again on the way out."""
    return renderers.json_response(answer(request, caller, result))


def _refuse_invalid(result: services.Result) -> None:
    """Input that is not well-formed is a 400 (the check is still in the history, as ``invalid``)."""
    if result.outcome == INVALID:
        found = errors(result.findings)
        raise ApiError(
            400,
            "invalid_fields",
            "提交的字段有误。Some submitted fields are not valid.",
            {finding.field: finding.message for finding in found},
        )


@router.post("", response={200: VerificationAnswer, **ERRORS}, auth=anyone, url_name="verify")
def verify(request, fields: TypedFields):
    """Verify an invoice by its typed key fields."""
    caller: Caller = request.auth
    caller.require("verify")
    result = services.verify(query_of(fields), actor=caller.user, channel=Channel.API, client=caller.address)
    _refuse_invalid(result)
    return answered(request, caller, result)


@router.post("/qr", response={200: VerificationAnswer, **ERRORS}, auth=anyone, url_name="verify_qr")
def verify_qr(request, body: QrPayload):
    """Verify the invoice a QR payload names (and check its signature, when it carries one)."""
    caller: Caller = request.auth
    caller.require("verify")
    try:
        document = services.verify_document(
            body.payload.strip().encode("utf-8"), caller.user, Channel.QR, client=caller.address
        )
    except RefusedDocument as refused:
        raise ApiError(
            400, f"document_{refused.reason}", refused.message, {"payload": refused.message}
        ) from None
    if document.extraction.format != "qr" or len(document.results) != 1:
        raise ApiError(
            400,
            "not_qr",
            "这不是发票二维码的内容。This is not an invoice QR payload.",
            {"payload": "not a QR payload"},
        )
    result = document.results[0]
    _refuse_invalid(result)
    return answered(request, caller, result)


@router.post("/files", response={200: FilesAnswer, **ERRORS}, auth=anyone, url_name="verify_files")
def verify_files(request, files: File[list[UploadedFile]]):
    """Verify every invoice in one or more documents (PDF, OFD, XML, JPG/PNG, QR text)."""
    caller: Caller = request.auth
    caller.require("verify")
    if not files:
        raise ApiError(400, "no_files", "请上传至少一个文件。Send at least one file.", {"files": "required"})
    if len(files) > MAX_FILES:
        raise ApiError(
            400,
            "too_many_files",
            f"一次最多上传 {MAX_FILES} 个文件。At most {MAX_FILES} files at once.",
            {"files": f"at most {MAX_FILES}"},
        )
    limits = services.intake_limits()
    documents = []
    for upload in files:
        name = (upload.name or "")[:200]
        if upload.size > limits.max_bytes:
            documents.append(
                _refused(
                    name,
                    "document_too_large",
                    f"文件过大（上限 {limits.max_bytes} 字节）。The file is larger than {limits.max_bytes} bytes.",
                )
            )
            continue
        try:
            document = services.verify_document(
                upload.read(), caller.user, limits=limits, client=caller.address
            )
        except RefusedDocument as refused:
            documents.append(_refused(name, f"document_{refused.reason}", refused.message))
            continue
        documents.append(
            {
                "name": name,
                "format": document.extraction.format,
                "findings": [f.to_json() for f in document.extraction.findings],
                "results": [answer(request, caller, result) for result in document.results],
                "error": None,
            }
        )
    return {"documents": documents}


def _refused(name: str, code: str, message: str) -> dict:
    return {
        "name": name,
        "format": None,
        "findings": [],
        "results": [],
        "error": {"code": code, "message": message},
    }
