"""Batches as their owners and the channels use them: create, find, follow, cancel, retry, results.

Every channel (the web pages, the API, ``yanpiao batch``) calls these; the work itself is done by
workers (:mod:`yanpiao.batches.tasks`, :mod:`yanpiao.batches.chunks`).

**Creation** reads the file once (:func:`yanpiao.batches.reading.read_rows`), marks rows that
repeat an earlier code and number, and stores the batch, its sealed chunks, the audit entry
``batch.create`` and the task that works it, in one transaction.  The uploaded file is not kept:
only its name, size and SHA-256.  A file that cannot be a batch raises
:class:`~yanpiao.batches.rows.BatchRefused` before anything is stored.  A ZIP of documents is
read (every document through the intake) here as well, so its chunks hold invoices like a
table's: reading is what costs there (some 50 PDFs a second), and it is done by the creator,
not shared among the workers.

**Who sees a batch**: its owner; auditors and admins, as they see the verification history.
Anyone else gets :class:`~yanpiao.access.visibility.NotVisible` (404 in the channels).  Who may
cancel or retry it: its owner and admins (an auditor who may look gets ``PermissionDenied``); a
batch of the operator at the console (no owner) is cancelled or retried with ``user=None``.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.access.visibility import NotVisible, is_staff, signed_in
from yanpiao.batches import chunks, results, tasks
from yanpiao.batches.models import Batch, Chunk
from yanpiao.batches.rows import BatchRefused
from yanpiao.fapiao.compare import OUTCOMES
from yanpiao.security import audit

EMPTY = BatchRefused("empty", "文件中没有发票 — the file holds no invoices")


def create(user, path, name: str = "") -> Batch:
    """Read the file at ``path`` (uploaded as ``name``) into a new batch, queued for the workers.

    ``user`` is its owner; None for the operator at the console.  Raises ``BatchRefused``.
    """
    from yanpiao.batches import reading

    path = Path(path)
    name = (name or path.name)[:255]
    file_format = reading.format_of(path, name)
    size, digest = _digest(path)
    public_id = uuid.uuid4()
    packed = chunks.pack(reading.read_rows(path, name), public_id, chunks.chunk_rows())
    if not packed.rows:
        raise EMPTY
    owner = user if signed_in(user) else None
    with dbapi.serialized_writes(), transaction.atomic():
        batch = Batch.objects.create(
            public_id=public_id,
            owner=owner,
            name=name,
            format=file_format,
            size=size,
            sha256=digest,
            total=packed.rows,
            duplicates=packed.duplicates,
        )
        Chunk.objects.bulk_create(
            (
                Chunk(batch=batch, index=index, first_row=first_row, rows=rows, input=sealed)
                for index, (first_row, rows, sealed) in enumerate(packed.chunks)
            ),
            batch_size=50,
        )
        audit.record(
            audit.Action.BATCH_CREATE,
            owner,
            audit.target(Batch, public_id),
            {
                "format": file_format,
                "size": size,
                "sha256": digest,
                "rows": packed.rows,
                "chunks": len(packed.chunks),
                "duplicates": packed.duplicates,
            },
        )
        tasks.enqueue(batch.pk)
    return batch


def create_from_upload(user, upload) -> Batch:
    """A new batch from an uploaded file (Django's ``UploadedFile``) as every channel receives it:
    refused as ``too_large`` past ``YANPIAO_BATCH_MAX_BYTES``, read from where it lies on disk (a
    small upload that Django kept in memory is written to a temporary file first)."""
    limit = settings.YANPIAO_BATCH_MAX_BYTES
    if upload.size > limit:
        raise BatchRefused(
            "too_large",
            f"文件超过 {limit:,} 字节的上限。The file is larger than the limit of {limit:,} bytes.",
        )
    name = upload.name or ""
    if hasattr(upload, "temporary_file_path"):
        return create(user, upload.temporary_file_path(), name)
    with tempfile.NamedTemporaryFile(prefix="yanpiao-batch-") as copy:
        for piece in upload.chunks():
            copy.write(piece)
        copy.flush()
        return create(user, copy.name, name)


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


# --- who sees what -----------------------------------------------------------------------------


def batches_of(user) -> QuerySet[Batch]:
    """The batches ``user`` may see, newest first: their own; every batch for auditors and admins."""
    if not signed_in(user):
        return Batch.objects.none()
    batches = Batch.objects.all() if is_staff(user) else Batch.objects.filter(owner=user)
    return batches.order_by("-created_at", "-id")


def batch_for(user, public_id) -> Batch:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise NotVisible("no such batch") from None
    batch = batches_of(user).filter(public_id=public_id).first()
    if batch is None:
        raise NotVisible("no such batch")
    return batch


def _check_may_change(user, batch: Batch) -> None:
    if user is None:  # the operator at the console: the batches it made
        allowed = batch.owner_id is None
    else:
        allowed = signed_in(user) and (batch.owner_id == user.pk or user.is_admin)
    if not allowed:
        raise PermissionDenied("only the batch's owner or an admin may change it")


# --- following and changing ----------------------------------------------------------------------


def progress(batch: Batch, *, reload: bool = True) -> dict:
    """Where the batch is now: ``status``, ``total`` and ``processed`` rows, verifications by
    ``outcome`` so far, ``duplicates``, and the ``error`` of a failed one.  ``reload=False`` for a
    batch the caller has just read (a page of them: no query per batch)."""
    if reload:
        batch.refresh_from_db(fields=["status", "total", "processed", "counts", "duplicates", "error"])
    return {
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "counts": {outcome: batch.counts[outcome] for outcome in OUTCOMES if outcome in batch.counts},
        "duplicates": batch.duplicates,
        "error": batch.error,
    }


def cancel(user, batch: Batch) -> bool:
    """Stop a queued or running batch: chunks not yet taken stay undone, those being verified
    finish (or are abandoned).  False when it had ended already (nothing is recorded then)."""
    _check_may_change(user, batch)
    with dbapi.serialized_writes(), transaction.atomic():
        _audit_first(audit.Action.BATCH_CANCEL, user, batch)
        changed = Batch.objects.filter(pk=batch.pk, status__in=chunks.ACTIVE).update(
            status=Batch.Status.CANCELLED, finished_at=timezone.now()
        )
        transaction.set_rollback(not changed)
    batch.refresh_from_db()
    return bool(changed)


def retry(user, batch: Batch) -> bool:
    """Take up a failed or cancelled batch again: its undone chunks go back to pending, with new
    attempts, and a task is queued.  False when the batch had not failed nor been cancelled."""
    _check_may_change(user, batch)
    with dbapi.serialized_writes(), transaction.atomic():
        _audit_first(audit.Action.BATCH_RETRY, user, batch)
        changed = Batch.objects.filter(
            pk=batch.pk, status__in=(Batch.Status.FAILED, Batch.Status.CANCELLED)
        ).update(status=Batch.Status.QUEUED, finished_at=None, error="")
        if changed:
            batch.chunks.exclude(status=Chunk.Status.DONE).update(
                status=Chunk.Status.PENDING, claimed_by="", lease_until=None, attempts=0
            )
            tasks.enqueue(batch.pk)
        transaction.set_rollback(not changed)
    batch.refresh_from_db()
    return bool(changed)


def _audit_first(action: audit.Action, user, batch: Batch) -> None:
    """The entry goes first, the batch's row after: the order a worker's chunk takes them in (its
    checks' entry, then the batch's counters), so that neither waits for the other in a circle on
    PostgreSQL.  The caller rolls the entry back when nothing changed."""
    batch.refresh_from_db(fields=["total", "processed"])
    detail = {"total": batch.total, "processed": batch.processed}
    audit.record(action, user, audit.target(Batch, batch.public_id), detail)


# --- results -----------------------------------------------------------------------------------


def write_result(batch: Batch, file_format: str, stream: IO[bytes], viewer=None) -> int:
    """The result file (:mod:`yanpiao.batches.results`) into the binary ``stream``; the rows
    written.  Audited (``batch.result``) once written."""
    batch.refresh_from_db()
    rows = results.write(batch, file_format, stream)
    audit.record(
        audit.Action.BATCH_RESULT,
        viewer if signed_in(viewer) else None,
        audit.target(Batch, batch.public_id),
        {"format": file_format, "rows": rows, "status": batch.status},
    )
    return rows


def result_response(batch: Batch, file_format: str, viewer=None) -> FileResponse:
    """The result file as a download, as every channel serves it: named, never cached."""
    # Not a context manager: the response streams the file, then closes it (and it is gone).
    handle = tempfile.TemporaryFile(prefix="yanpiao-batch-", suffix=f".{file_format}")  # noqa: SIM115
    try:
        write_result(batch, file_format, handle, viewer)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = FileResponse(handle, content_type=results.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{results.filename(batch, file_format)}"'
    response["Cache-Control"] = "no-store"
    return response


def copy_result(batch: Batch, file_format: str, path: Path, viewer=None) -> int:
    """The result file written to ``path`` (through a temporary file beside it, renamed when whole)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as stream:
            rows = write_result(batch, file_format, stream, viewer)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return rows
