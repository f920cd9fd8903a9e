"""Batches: ``POST /batches`` (a file of invoices), ``GET /batches`` (mine, newest first),
``GET /batches/{id}`` (its progress), ``GET /batches/{id}/result`` (CSV or XLSX, once it has
ended), ``POST /batches/{id}/cancel`` and ``/retry``.

Thin adapters over :mod:`yanpiao.batches.services`: the workers (``yanpiao worker``) do the
verifying; these endpoints queue, follow and stop it.  A caller must be signed in (a session, or
a token with the scope ``batch``); an id they may not see answers 404, exactly as one that does
not exist.

The uploaded file is never read into memory here: Django keeps an upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) in a temporary file as it arrives, and the batch is read
from that file; a smaller one is written to a temporary file first (``services.create_from_upload``).
"""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import File, Query, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.batches import results, services
from yanpiao.batches.models import Batch
from yanpiao.batches.rows import BatchRefused
from yanpiao.history import paging

router = routers.batches
ERRORS = {400: Error, 401: Error, 403: Error, 429: Error}
ID_ERRORS = {**ERRORS, 404: Error}  # an id the caller may not see
CONFLICT_ERRORS = {**ID_ERRORS, 409: Error}  # not now: a result before the end, a change that does not apply
SCOPE = "batch"


class BatchAnswer(Schema):
    """A batch and how far it has come: ``processed`` of ``total`` items (rows of a table,
    documents of a ZIP), verifications so far by ``outcome``, rows repeating an earlier code and
    number (``duplicates``, verified all the same)."""

    id: uuid.UUID
    name: str
    format: str = Field(description="csv, xlsx, xls, jsonl or zip")
    status: str = Field(description="queued, running, done, failed or cancelled")
    total: int
    processed: int
    counts: dict[str, int] = Field(description="verifications by outcome: authentic, mismatch, …")
    duplicates: int
    error: str | None = Field(description="why a failed batch failed; null otherwise")
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    result_url: str | None = Field(description="the result file (XLSX; ?format=csv) once the batch has ended")


class BatchPage(Schema):
    items: list[BatchAnswer]
    next_cursor: str | None


class ListParams(Schema):
    cursor: str | None = Field(None, description="next_cursor of the previous page", max_length=400)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT, description="items per page, 1–100")


class ResultParams(Schema):
    format: str = Field("xlsx", description="xlsx or csv", max_length=10)


def _caller(request) -> Caller:
    caller: Caller = request.auth
    caller.require(SCOPE)
    return caller


def answer(request, batch: Batch) -> dict:
    """The batch as every endpoint answers it: its progress now, and where its result is."""
    progress = services.progress(batch, reload=False)  # every caller has just read it
    result_url = None
    if batch.finished:
        result_url = request.build_absolute_uri(reverse("api:batch_result", args=[batch.public_id]))
    return {
        "id": batch.public_id,
        "name": batch.name,
        "format": batch.format,
        "status": progress["status"],
        "total": progress["total"],
        "processed": progress["processed"],
        "counts": progress["counts"],
        "duplicates": progress["duplicates"],
        "error": progress["error"] or None,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "result_url": result_url,
    }


def refused(refusal: BatchRefused) -> ApiError:
    """400: the file cannot be a batch; ``code`` names why (``batch_missing_columns`` …)."""
    return ApiError(400, f"batch_{refusal.reason}", refusal.message, {"file": refusal.message})


@router.post("", response={201: BatchAnswer, **ERRORS}, auth=signed_in, url_name="batches_create")
def create_batch(request, file: File[UploadedFile]):
    """Queue a file of invoices to verify: a table (CSV, XLSX, XLS, JSON Lines) with a column per
    key field, or a ZIP of invoice documents.  Answers at once; the workers verify it."""
    caller = _caller(request)
    try:
        batch = services.create_from_upload(caller.user, file)
    except BatchRefused as refusal:
        raise refused(refusal) from None
    return Status(201, answer(request, batch))


@router.get("", response={200: BatchPage, **ERRORS}, auth=signed_in, url_name="batches")
def list_batches(request, params: Query[ListParams]):
    """The caller's batches (auditors and admins: everyone's), newest first; pass
    ``next_cursor`` as ``cursor`` for the next page."""
    caller = _caller(request)
    try:
        found = paging.page(services.batches_of(caller.user), params.cursor, params.limit)
    except paging.InvalidCursor:
        raise invalid_cursor() from None
    return {"items": [answer(request, batch) for batch in found.items], "next_cursor": found.next_cursor}


@router.get("/{uuid:batch_id}", response={200: BatchAnswer, **ID_ERRORS}, auth=signed_in, url_name="batch")
def get_batch(request, batch_id: uuid.UUID):
    """One batch: its status, how many items are done, and the verifications so far by outcome."""
    caller = _caller(request)
    return answer(request, services.batch_for(caller.user, batch_id))


@router.get(
    "/{uuid:batch_id}/result",
    response={200: None, **CONFLICT_ERRORS},
    auth=signed_in,
    url_name="batch_result",
)
def batch_result(request, batch_id: uuid.UUID, params: Query[ResultParams]):
    """The result file, one line per input row in input order with its ``outcome``: XLSX (a
    summary sheet, then the rows) or CSV.  409 while the batch is queued or running."""
    caller = _caller(request)
    found = services.batch_for(caller.user, batch_id)
    kind = params.format.strip().lower()
    if kind not in results.FORMATS:
        raise ApiError(
            400,
            "invalid_format",
            "结果格式应为 xlsx 或 csv。The format must be xlsx or csv.",
            {"format": "one of xlsx, csv"},
        )
    if not found.finished:
        raise ApiError(
            409,
            "batch_not_finished",
            "批量查验尚未结束，结果还不能下载。The batch has not ended yet; its result is not ready.",
        )
    return services.result_response(found, kind, viewer=caller.user)


def _changed(request, batch_id: uuid.UUID, change, refusal: tuple[str, str]):
    """Cancel or retry: the batch as it is after the change; 409 when the change does not apply
    to it now, 403 for one the caller may see but not change (an auditor's look at it)."""
    caller = _caller(request)
    found = services.batch_for(caller.user, batch_id)
    try:
        changed = change(caller.user, found)
    except PermissionDenied:
        raise ApiError(
            403,
            "forbidden",
            "只有批量查验的提交者或管理员可以更改它。Only its owner or an admin may change a batch.",
        ) from None
    if not changed:
        raise ApiError(409, *refusal)
    return answer(request, found)


@router.post(
    "/{uuid:batch_id}/cancel",
    response={200: BatchAnswer, **CONFLICT_ERRORS},
    auth=signed_in,
    url_name="batch_cancel",
)
def cancel_batch(request, batch_id: uuid.UUID):
    """Stop a queued or running batch; the rows verified so far stay verified (409 once it has ended)."""
    return _changed(
        request,
        batch_id,
        services.cancel,
        (
            "batch_ended",
            "批量查验已经结束，无法取消。The batch has ended already; there is nothing to cancel.",
        ),
    )


@router.post(
    "/{uuid:batch_id}/retry",
    response={200: BatchAnswer, **CONFLICT_ERRORS},
    auth=signed_in,
    url_name="batch_retry",
)
def retry_batch(request, batch_id: uuid.UUID):
    """Take a failed or cancelled batch up again where it stopped (409 for any other)."""
    return _changed(
        request,
        batch_id,
        services.retry,
        (
            "batch_not_stopped",
            "只有失败或已取消的批量查验可以重试。Only a failed or cancelled batch can be retried.",
        ),
    )
