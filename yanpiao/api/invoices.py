"""The issuer endpoints: ``POST /invoices`` (register), ``POST /invoices/{key}/void`` (作废) and
``GET /invoices`` (the issuer's invoices, a page at a time).  Thin adapters over
:mod:`yanpiao.registry.issuing` and :mod:`yanpiao.registry.services`, which validate, store,
apply red-letter invoices and write the audit entries (``registry.register``, ``registry.void``).

Who: a signed-in user whose role is ``issuer``, for their own organisation only (a token needs
the scope ``issue``).  A registered invoice's seller tax ID must be the organisation's; a
red-letter invoice may only reverse one of the organisation's own invoices.  Others get 403 when
they register or list, and 404 when they name an invoice (void): "not yours" and "does not
exist" look the same (:func:`yanpiao.access.visibility.issued_by`).

An invoice is named in paths by its key: ``<发票代码>-<发票号码>`` (``1100241320-00000017``), or
the 20-digit 发票号码 alone for a 数电票, which has no code.

Registering answers the registered invoice (invoice JSON, docs/invoice-json.md) with its QR
payload signed by the registry (``qr_payload``; docs/api.md, "Signed QR payloads") and a PNG
of that QR code (``qr_png``, base64); the listing gives each invoice's signed payload too,
without the PNG.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Body, Query, Schema
from pydantic import Field

from yanpiao.access.visibility import issued_by
from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.api.schemas import StatusChangeOut
from yanpiao.fapiao.invoice import InvoiceFormatError, InvoiceKey, from_json
from yanpiao.registry import issuing
from yanpiao.registry import models as registry_models
from yanpiao.registry import services as registry
from yanpiao.security.fields import tax_id_index

router = routers.invoices
SCOPE = "issue"
ERRORS = {400: Error, 401: Error, 403: Error, 429: Error}
STATUSES = Literal["normal", "voided", "red_flushed", "partially_red_flushed", "abnormal"]
REASON_LENGTH = registry_models.StatusChange._meta.get_field("reason").max_length


# --- shapes ------------------------------------------------------------------------------------


class OriginalOut(Schema):
    """The invoice a red-letter invoice reverses, and its status after the reversal."""

    key: str
    status: str


class IssuedAnswer(Schema):
    key: str = Field(..., description="code-number, or the number alone for a 数电票")
    registered_at: datetime.datetime
    invoice: dict[str, Any] = Field(..., description="the registered invoice, as invoice JSON")
    qr_payload: str = Field(..., description="the standard QR payload with the registry's signature field")
    qr_png: str = Field(..., description="a PNG of the QR code holding qr_payload, base64")
    original: OriginalOut | None = Field(
        None, description="for a red-letter invoice, the invoice it reverses"
    )


class IssuedItem(Schema):
    key: str
    registered_at: datetime.datetime
    invoice: dict[str, Any]
    qr_payload: str


class IssuedList(Schema):
    invoices: list[IssuedItem]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page; null on the last")


class VoidIn(Schema):
    reason: str = Field(..., min_length=1, max_length=REASON_LENGTH, description="why the invoice is voided")


class VoidAnswer(Schema):
    key: str
    status: str
    changed: bool = Field(..., description="false when the invoice was voided already")
    status_history: list[StatusChangeOut]


class IssuedFilters(Schema):
    cursor: str | None = Field(None, max_length=200, description="from next_cursor of the previous page")
    limit: int = Field(issuing.DEFAULT_LIMIT, ge=1, le=issuing.MAX_LIMIT)
    status: STATUSES | None = Field(None, description="only invoices with this status")
    since: datetime.date | None = Field(None, alias="from", description="issued on or after (YYYY-MM-DD)")
    until: datetime.date | None = Field(None, alias="to", description="issued on or before (YYYY-MM-DD)")


# --- who ---------------------------------------------------------------------------------------


def _issuer(caller: Caller):
    """The calling issuer, whose organisation has a tax ID; 403 for anyone else."""
    caller.require(SCOPE)
    user = caller.user
    if not user.is_issuer:
        raise ApiError(403, "not_issuer", "只有开票方可以开具发票。Only issuers may register invoices.")
    if not user.organisation_id or not user.organisation.tax_id_index:
        raise ApiError(
            403,
            "no_organisation",
            "开票方须属于有纳税人识别号的组织。An issuer must belong to an organisation with a tax ID.",
        )
    return user


def _invalid(message: str, fields: dict[str, str]) -> ApiError:
    return ApiError(400, "invalid_invoice", message, fields)


def _registry_fields(error: registry.RegistryError) -> dict[str, str]:
    """The fields a refusal of the registry names: its findings, else the ``field: …`` of its message."""
    if error.findings:
        fields: dict[str, str] = {}
        for finding in error.findings:
            fields.setdefault(finding.field or "invoice", finding.message)
        return fields
    name, sep, _ = str(error).partition(": ")
    return {name: str(error)} if sep and name.replace("_", "").isalnum() else {"invoice": str(error)}


# --- endpoints ---------------------------------------------------------------------------------


@router.post(
    "", response={200: IssuedAnswer, 409: Error, **ERRORS}, auth=signed_in, url_name="invoice_register"
)
def register(request, payload: Body[dict[str, Any]]):
    """Register (开具) an invoice of the caller's organisation; answers it with its signed QR code."""
    user = _issuer(request.auth)
    try:
        invoice = from_json(payload)
    except InvoiceFormatError as exc:
        raise _invalid("发票数据有误。The invoice JSON is not valid.", {exc.field: exc.message}) from None
    if tax_id_index(invoice.seller.tax_id) != user.organisation.tax_id_index:
        raise ApiError(
            403,
            "not_seller",
            "只能开具本组织为销售方的发票。The seller must be your organisation.",
            {"seller.tax_id": "not the tax ID of your organisation"},
        )
    original = invoice.red_letter_of
    if original and not issued_by(user).filter(code=original.code, number=original.number).exists():
        raise _invalid(
            "红字发票须冲销本组织已登记的发票。A red-letter invoice reverses an invoice of yours.",
            {"red_letter_of": f"no invoice {original} of your organisation is registered"},
        )
    if registry_models.Invoice.objects.filter(code=invoice.code, number=invoice.number).exists():
        raise ApiError(
            409,
            "already_registered",
            "该发票代码和号码已登记。An invoice with this code and number is registered already.",
            {"number": "registered already"},
        )
    try:
        issued = issuing.issue(invoice, actor=user)
    except registry.RegistryError as exc:
        raise _invalid("发票未通过校验。The registry refused the invoice.", _registry_fields(exc)) from None
    answer = issued.to_json()
    if original:
        row = registry.find_row(original)
        answer["original"] = {"key": issuing.key_text(row.code, row.number), "status": row.status}
    return answer


@router.post(
    "/{key}/void", response={200: VoidAnswer, 404: Error, 409: Error, **ERRORS}, auth=signed_in,
    url_name="invoice_void",
)  # fmt: skip
def void(request, key: str, body: VoidIn):
    """Void (作废) an invoice of the caller's organisation; voiding it again changes nothing."""
    caller: Caller = request.auth
    caller.require(SCOPE)
    parsed = issuing.parse_key(key)
    if parsed is None or not issued_by(caller.user).filter(code=parsed[0], number=parsed[1]).exists():
        raise ApiError(404)
    reason = body.reason.strip()
    if not reason:
        raise ApiError(400, "invalid_request", "请填写作废原因。Give a reason.", {"reason": "required"})
    try:
        update = registry.void(InvoiceKey(*parsed), reason, actor=caller.user)
    except registry.RegistryError as exc:
        raise ApiError(
            409,
            "invalid_status",
            f"该发票不能作废。The invoice cannot be voided: {exc}",
            {"status": str(exc)},
        ) from None
    row = update.invoice
    return {
        "key": issuing.key_text(row.code, row.number),
        "status": row.status,
        "changed": update.changed,
        "status_history": registry.status_history(row.pk),
    }


@router.get("", response={200: IssuedList, **ERRORS}, auth=signed_in, url_name="invoice_list")
def list_invoices(request, filters: Query[IssuedFilters]):
    """The caller's organisation's invoices, newest first; filters ``status``, ``from``, ``to``."""
    user = _issuer(request.auth)
    rows = issuing.narrowed(issued_by(user), filters.status, filters.since, filters.until)
    try:
        page = issuing.page(rows, filters.cursor, filters.limit)
    except issuing.InvalidCursor:
        raise invalid_cursor() from None
    items = [issuing.answer(row, with_png=False).to_json() for row in page.rows]
    return {"invoices": items, "next_cursor": page.next_cursor}
