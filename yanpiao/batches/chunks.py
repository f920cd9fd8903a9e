"""Chunks of a batch: packed and sealed, claimed by any worker, verified, recorded all at once.

**Packing.** A chunk's rows (:class:`~yanpiao.batches.rows.InputRow`) and, once verified, its
results are stored as compact JSON (orjson), compressed (zlib) and encrypted with the ``fields``
keyset, the associated data naming the batch, the chunk and the part (``input`` or
``results``): a sealed chunk copied to another chunk or batch does not open.

**Duplicates.** When a batch is created every row is given ``duplicate_of``: the number of the
first row with the same code and number (:class:`Duplicates`), or None.  The duplicate is
verified all the same (it has its own history row); the result file names the first one.

**Claiming.** A worker takes the first chunk, in input order, that is ``pending`` or whose lease
ran out, marks it ``claimed`` by itself until ``now + YANPIAO_BATCH_LEASE_SECONDS`` and counts
the attempt: one statement, ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`` on
PostgreSQL (two workers never wait for each other nor take the same chunk), the same inside the
write turn (:func:`yanpiao.dbapi.serialized_writes`) on SQLite.

**Recording.** The chunk's rows go through
:func:`~yanpiao.verification.bulk.verify_many`, whose history rows and audit entry are written in
a transaction nested in this module's: the chunk's sealed results, its ``done`` status and the
batch's counters commit with them, or nothing does.  The chunk is marked done only while it is
still claimed by this worker: a worker whose lease ran out and whose chunk another worker took
rolls its whole transaction back.  So a worker killed at any point leaves all of a chunk or
nothing of it, and no row is verified twice.  The transaction that finishes the last chunk marks
the batch ``done``.

**Failures.** A chunk that raises is released for another attempt; at the
:data:`MAX_ATTEMPTS`-th claim of one chunk (a chunk that keeps failing, or keeps killing its
worker) the batch is ``failed`` with the reason (``retry`` gives it new attempts).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import orjson
import tink
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.batches.models import Batch, Chunk
from yanpiao.batches.rows import FIELDS, InputRow
from yanpiao.fapiao.findings import Finding
from yanpiao.fapiao.invoice import normalize_text
from yanpiao.security import keys
from yanpiao.security.fields import DecryptionError
from yanpiao.verification.models import Channel

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # claims of one chunk before its batch fails
ACTIVE = (Batch.Status.QUEUED, Batch.Status.RUNNING)
WAIT_SECONDS = 0.5  # between looks at chunks other workers hold (work(wait=True))


def chunk_rows() -> int:
    return settings.YANPIAO_BATCH_CHUNK_ROWS


def lease_seconds() -> int:
    return settings.YANPIAO_BATCH_LEASE_SECONDS


_worker: tuple[int, str] | None = None
# Set when this process's worker is asked to stop: work() returns after the chunk in hand.
stopping = threading.Event()


def worker_id() -> str:
    """This process's name in ``Chunk.claimed_by``: host, pid and a random part (a new one after
    a fork)."""
    global _worker
    if _worker is None or _worker[0] != os.getpid():
        _worker = (os.getpid(), f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}")
    return _worker[1]


# --- packing -----------------------------------------------------------------------------------


def seal(values: list, batch_public_id, index: int, part: str) -> bytes:
    plain = zlib.compress(orjson.dumps(values), 1)
    return keys.fields_aead().encrypt(plain, _associated_data(batch_public_id, index, part))


def unseal(sealed: bytes | memoryview, batch_public_id, index: int, part: str) -> list:
    try:
        plain = keys.fields_aead().decrypt(bytes(sealed), _associated_data(batch_public_id, index, part))
    except tink.TinkError as exc:
        raise DecryptionError(f"chunk {index} of batch {batch_public_id} does not decrypt ({part})") from exc
    return orjson.loads(zlib.decompress(plain))


def _associated_data(batch_public_id, index: int, part: str) -> bytes:
    return f"batches_chunk.{part}.{batch_public_id}.{index}".encode()


def pack_row(row: InputRow, duplicate_of: int | None) -> list:
    """``[number, source, [field values in FIELDS order], duplicate_of]``, then, for a row read
    from a document, ``[findings], document, signature, content``."""
    packed = [row.number, row.source, [row.fields.get(name, "") for name in FIELDS], duplicate_of]
    if row.document_findings or row.document is not None or row.signature is not None or row.content:
        findings = [[f.rule, f.field, f.severity, f.message] for f in row.document_findings]
        packed += [findings, row.document, row.signature, row.content]
    return packed


def unpack_row(packed: list) -> tuple[InputRow, int | None]:
    """The row and its ``duplicate_of``."""
    number, source, values, duplicate_of, *document = packed
    findings, details, signature, content = document or ([], None, None, None)
    row = InputRow(
        number=number,
        fields=dict(zip(FIELDS, values, strict=True)),
        source=source,
        document_findings=tuple(Finding(*finding) for finding in findings),
        document=details,
        signature=signature,
        content=content,
    )
    return row, duplicate_of


def pack_result(result) -> list:
    """``[verification id, outcome, [differing fields], [[rule, message]…], invoice id, risk score,
    [[reason code, message]…]]`` of a :class:`~yanpiao.verification.bulk.BulkResult`."""
    return [
        str(result.verification_id),
        result.outcome,
        [difference.field for difference in result.differences],
        [[finding.rule, finding.message] for finding in result.findings],
        result.invoice_id,
        result.risk.score,
        [[reason.code, reason.message] for reason in result.risk.reasons],
    ]


class Duplicates:
    """The first row of every code and number met so far, to mark the rows that repeat one.

    >>> seen = Duplicates()
    >>> [seen.first_of(InputRow(n, {"code": "011", "number": "１２"})) for n in (1, 2)]
    [None, 1]
    >>> seen.first_of(InputRow(3, {"code": "", "number": ""})) is None  # no number: nothing to repeat
    True
    """

    def __init__(self):
        self.first: dict[str, int] = {}
        self.count = 0

    def first_of(self, row: InputRow) -> int | None:
        number = normalize_text(row.fields.get("number"))
        if not number:
            return None
        key = f"{normalize_text(row.fields.get('code'))}\0{number}"
        first = self.first.setdefault(key, row.number)
        if first == row.number:
            return None
        self.count += 1
        return first


@dataclass
class Packed:
    """A batch's input cut into chunks: ``(first row number, rows, sealed input)`` each."""

    chunks: list[tuple[int, int, bytes]]
    rows: int
    duplicates: int


def pack(rows: Iterable[InputRow], batch_public_id, size: int) -> Packed:
    """Read ``rows`` once, marking duplicates, into sealed chunks of ``size`` rows."""
    duplicates = Duplicates()
    chunks: list[tuple[int, int, bytes]] = []
    pending: list[list] = []
    total = 0

    def flush():
        chunks.append((pending[0][0], len(pending), seal(pending, batch_public_id, len(chunks), "input")))
        pending.clear()

    for row in rows:
        pending.append(pack_row(row, duplicates.first_of(row)))
        total += 1
        if len(pending) == size:
            flush()
    if pending:
        flush()
    return Packed(chunks, total, duplicates.count)


# --- claiming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    index: int
    attempts: int


_CLAIM = """
UPDATE batches_chunk SET status = 'claimed', claimed_by = %s, lease_until = %s, attempts = attempts + 1
 WHERE id = (SELECT c.id FROM batches_chunk c JOIN batches_batch b ON b.id = c.batch_id
              WHERE c.batch_id = %s AND b.status IN ('queued', 'running')
                AND (c.status = 'pending' OR (c.status = 'claimed' AND c.lease_until < %s))
              ORDER BY c."index" LIMIT 1{lock})
RETURNING id, "index", attempts
"""


def claim(batch_id: int, worker: str) -> Claimed | None:
    """Take the batch's next chunk to do, or None when there is none (or the batch has ended).

    The first claim starts the batch.  A chunk claimed for the :data:`MAX_ATTEMPTS`-th time
    fails its batch instead of being handed out again.
    """
    now = timezone.now()
    lock = " FOR UPDATE OF c SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with dbapi.serialized_writes(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CLAIM.format(lock=lock), [worker, now + timedelta(seconds=lease_seconds()), batch_id, now]
        )
        found = cursor.fetchone()
        if found is None:
            return None
        claimed = Claimed(*found)
        if claimed.attempts > MAX_ATTEMPTS:
            Chunk.objects.filter(pk=claimed.id).update(
                status=Chunk.Status.PENDING, claimed_by="", lease_until=None
            )
            _fail(batch_id, f"chunk {claimed.index} was given up after {MAX_ATTEMPTS} attempts")
            return None
        Batch.objects.filter(pk=batch_id, status=Batch.Status.QUEUED).update(
            status=Batch.Status.RUNNING, started_at=now
        )
    return claimed


def _fail(batch_id: int, error: str) -> None:
    logger.warning("batch %s failed: %s", batch_id, error)
    Batch.objects.filter(pk=batch_id, status__in=ACTIVE).update(
        status=Batch.Status.FAILED, error=error, finished_at=timezone.now()
    )


def release(claimed: Claimed, batch_id: int, worker: str, error: str) -> None:
    """After a chunk raised: back to pending for another attempt, or, at the last attempt, the
    batch fails with ``error``."""
    with dbapi.serialized_writes(), transaction.atomic():
        Chunk.objects.filter(pk=claimed.id, status=Chunk.Status.CLAIMED, claimed_by=worker).update(
            status=Chunk.Status.PENDING, claimed_by="", lease_until=None
        )
        if claimed.attempts >= MAX_ATTEMPTS:
            _fail(batch_id, error)


# --- processing --------------------------------------------------------------------------------


class _ClaimLost(Exception):
    """Another worker holds the chunk now (this worker's lease ran out): roll everything back."""


def process(batch: Batch, claimed: Claimed, worker: str) -> bool:
    """Verify the claimed chunk and record it; False when the claim was lost meanwhile (nothing
    of the chunk is recorded then: the worker that holds it now records it)."""
    from yanpiao.verification import bulk

    sealed = Chunk.objects.filter(pk=claimed.id).values_list("input", flat=True).get()
    packed = unseal(sealed, batch.public_id, claimed.index, "input")
    rows = [unpack_row(row)[0] for row in packed]

    def recorded(results) -> None:  # in verify_many's write transaction: all of the chunk or nothing
        sealed_results = seal([pack_result(r) for r in results], batch.public_id, claimed.index, "results")
        _finish(batch.pk, claimed, worker, sealed_results, Counter(r.outcome for r in results), len(rows))

    try:
        bulk.verify_many(rows, batch.owner, Channel.BATCH, batch=str(batch.public_id), recorded=recorded)
    except _ClaimLost:
        logger.info("chunk %s of batch %s: claim lost, left to its new holder", claimed.index, batch.pk)
        return False
    return True


def _finish(batch_id: int, claimed: Claimed, worker: str, results: bytes, outcomes: Counter, rows: int):
    done = Chunk.objects.filter(pk=claimed.id, status=Chunk.Status.CLAIMED, claimed_by=worker).update(
        status=Chunk.Status.DONE, claimed_by="", lease_until=None, results=results
    )
    if not done:
        raise _ClaimLost
    # The batch's row, locked: the counters of concurrent chunks add up, and whoever finishes last
    # (its look at the other chunks comes after their commits) marks the batch done.
    batch = Batch.objects.select_for_update().only("status", "processed", "counts").get(pk=batch_id)
    counts = dict(batch.counts)
    for outcome, count in outcomes.items():
        counts[outcome] = counts.get(outcome, 0) + count
    batch.counts, batch.processed = counts, batch.processed + rows
    changed = ["counts", "processed"]
    if (
        batch.status in ACTIVE
        and not Chunk.objects.filter(batch_id=batch_id).exclude(status=Chunk.Status.DONE).exists()
    ):
        batch.status, batch.finished_at = Batch.Status.DONE, timezone.now()
        changed += ["status", "finished_at"]
    batch.save(update_fields=changed)


def work(batch_id: int, worker: str | None = None, wait: bool = False) -> int:
    """Claim and process the batch's chunks until none is left to take; the number done here.

    With ``wait``, go on until the batch has ended: look again every :data:`WAIT_SECONDS` while
    other workers hold chunks, and take over those whose lease runs out.
    """
    worker = worker or worker_id()
    done = 0
    while not stopping.is_set():
        claimed = claim(batch_id, worker)
        if claimed is None:
            if not wait or not ongoing(batch_id):
                return done
            time.sleep(WAIT_SECONDS)
            continue
        batch = Batch.objects.select_related("owner").get(pk=batch_id)
        try:
            done += process(batch, claimed, worker)
        except Exception as exc:  # a chunk that fails must not stop the others: recorded on the batch
            logger.exception("chunk %s of batch %s failed", claimed.index, batch_id)
            release(
                claimed,
                batch_id,
                worker,
                f"chunk {claimed.index} could not be verified ({type(exc).__name__})",
            )
    return done


def ongoing(batch_id: int) -> bool:
    """Whether the batch may still make progress: active, with chunks not done."""
    return (
        Batch.objects.filter(pk=batch_id, status__in=ACTIVE).exists()
        and Chunk.objects.filter(batch_id=batch_id).exclude(status=Chunk.Status.DONE).exists()
    )


def takeable(batch_id: int | None = None) -> set[int]:
    """Active batches (or that one) with a chunk a worker could take now: pending, or its lease
    ran out."""
    now = timezone.now()
    candidates = Chunk.objects.filter(batch__status__in=ACTIVE)
    if batch_id is not None:
        candidates = candidates.filter(batch_id=batch_id)
    free = candidates.filter(
        Q(status=Chunk.Status.PENDING) | Q(status=Chunk.Status.CLAIMED, lease_until__lt=now)
    )
    return set(free.values_list("batch_id", flat=True).distinct())


def chunk_results(batch: Batch) -> Iterator[tuple[list, list | None]]:
    """Every chunk in input order: its packed rows, and its packed results (None if not done)."""
    chunks = batch.chunks.order_by("index").values_list("index", "input", "results").iterator(chunk_size=4)
    for index, sealed_input, sealed_results in chunks:
        rows = unseal(sealed_input, batch.public_id, index, "input")
        results = (
            None if sealed_results is None else unseal(sealed_results, batch.public_id, index, "results")
        )
        yield rows, results
