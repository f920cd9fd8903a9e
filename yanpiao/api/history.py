"""The verification history: ``GET /verifications`` (filtered, cursor-paged),
``GET /verifications/export`` (CSV or XLSX, streamed) and ``GET /verifications/{id}``.

Thin adapters over :mod:`yanpiao.history`: a caller sees their own history and their
organisation's (auditors and admins: everyone's, parties masked); a token needs the scope
``history:read``.  An id the caller may not see answers 404, exactly as one that does not exist.
"""

from __future__ import annotations

import uuid

from ninja import Query, Schema
from pydantic import Field

from yanpiao.access.disclosure import verification_answer
from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.api.schemas import VerificationAnswer
from yanpiao.api.verifications import certificate_url
from yanpiao.history import export, paging, services
from yanpiao.history.filters import FilterError, HistoryFilter
from yanpiao.verification.models import Channel

router = routers.verifications
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}
SCOPE = "history:read"
TEXT = {"max_length": 200}


class Filters(Schema):
    """The filters of the list and of the export (several values of one: comma-separated)."""

    outcome: str | None = Field(
        None, description="authentic, tampered, mismatch, not_found, voided, …", **TEXT
    )
    type: str | None = Field(None, description="invoice type code of the check: 01, 04, 10, 31, 32 …", **TEXT)
    channel: str | None = Field(None, description="web, api, cli, qr, upload, batch", **TEXT)
    from_: str | None = Field(
        None, alias="from", description="checked on or after: YYYY-MM-DD or an ISO 8601 time", **TEXT
    )
    to: str | None = Field(
        None, description="checked on or before: YYYY-MM-DD (the whole day) or a time", **TEXT
    )
    seller_tax_id: str | None = Field(
        None, description="seller's tax ID (only outcomes that revealed the invoice match)", **TEXT
    )
    min_total: str | None = Field(None, description="价税合计 at least (revealed invoices only)", **TEXT)
    max_total: str | None = Field(None, description="价税合计 at most (revealed invoices only)", **TEXT)

    def parsed(self) -> HistoryFilter:
        values = self.model_dump(by_alias=True)
        try:
            return HistoryFilter.parse(values)
        except FilterError as error:
            raise ApiError(
                400, "invalid_filter", "筛选条件有误。Some filters are not valid; see fields.", error.fields
            ) from None


class ListParams(Filters):
    cursor: str | None = Field(None, description="next_cursor of the previous page", max_length=400)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT, description="items per page, 1–100")


class ExportParams(Filters):
    format: str = Field("csv", description="csv or xlsx", max_length=10)


class HistoryPage(Schema):
    items: list[VerificationAnswer]
    next_cursor: str | None


def _caller(request) -> Caller:
    caller: Caller = request.auth
    caller.require(SCOPE)
    return caller


@router.get("", response={200: HistoryPage, **ERRORS}, auth=signed_in, url_name="history")
def history(request, params: Query[ListParams]):
    """The caller's verifications and their organisation's (auditors and admins: everyone's),
    newest first; pass ``next_cursor`` as ``cursor`` for the next page."""
    caller = _caller(request)
    history_filter = params.parsed()
    try:
        found = services.page(caller.user, history_filter, params.cursor, params.limit)
    except paging.InvalidCursor:
        raise invalid_cursor() from None
    return {
        "items": [
            verification_answer(caller.user, row, certificate_url(request, caller, row.public_id))
            for row in found.items
        ],
        "next_cursor": found.next_cursor,
    }


@router.get("/export", response={200: None, **ERRORS}, auth=signed_in, url_name="history_export")
def export_history(request, params: Query[ExportParams]):
    """Every verification the filters select, as CSV (UTF-8, streamed) or XLSX, as an attachment."""
    caller = _caller(request)
    history_filter = params.parsed()
    kind = (params.format or "").strip().lower()
    if kind not in export.FORMATS:
        raise ApiError(
            400,
            "invalid_format",
            "导出格式应为 csv 或 xlsx。The format must be csv or xlsx.",
            {"format": "one of csv, xlsx"},
        )
    job = export.Export(caller.user, history_filter, kind, channel=Channel.API)
    return job.response()


@router.get(
    "/{uuid:verification_id}",
    response={200: VerificationAnswer, **ERRORS},
    auth=signed_in,
    url_name="verification",
)
def verification(request, verification_id: uuid.UUID):
    """One verification of the caller's history (404 for one they may not see)."""
    caller = _caller(request)
    row = services.verification(caller.user, verification_id)
    return verification_answer(caller.user, row, certificate_url(request, caller, row.public_id))
