"""Set-wise verification: many rows at once, the hot path of batches.

``verify_many(rows, actor)`` gives every row the outcome, differences and findings that
:func:`~yanpiao.verification.services.verify` would give it (the same validation, comparison
and masking at rest, through the same helpers), with the per-row costs of ``verify`` paid once
per call instead:

- the registry is read set-wise before the write transaction (``lookup.find_many``: the key
  fields and status only, nothing of the parties; a row read from a document with content to
  compare is looked up in full, alone, as ``verify`` looks it up);
- the per-invoice daily limit is counted set-wise (``throttle.hit_many``); a row past it is
  ``invalid`` with the finding ``verification.invoice`` and reveals nothing, where ``verify``
  would refuse the check (a batch goes on);
- one write transaction holds the counting, every history row (one ``executemany``) and ONE audit
  entry ``verification.create_bulk`` whose detail vouches for exactly these rows: their count,
  the counts by outcome, the first and last public id and the SHA-256 of all of them in order.

A call gives no ``client``: batches are made by an account (counted per account) or by the
operator's command line (not counted), and the anonymous limits per address do not apply.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.alerts import services as alerts
from yanpiao.fapiao import compare as comparison
from yanpiao.fapiao.compare import Difference, Query
from yanpiao.fapiao.findings import ERROR, Finding
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.observability import metrics
from yanpiao.registry import lookup
from yanpiao.risk import assessment as risk
from yanpiao.security import audit, throttle
from yanpiao.verification import services, throttling
from yanpiao.verification.models import Channel, Verification, new_public_id


class Row(Protocol):
    """What :func:`verify_many` needs of a row (``batches.rows.InputRow`` has it): ``fields``, the
    typed fields by name (``Query.from_fields`` takes them), the ``content`` read from a document
    (invoice JSON, or None), and what reading the document found."""

    fields: Mapping[str, str]
    content: Mapping[str, Any] | None
    document_findings: Sequence[Finding]
    document: dict | None
    signature: str | None


@dataclass(frozen=True)
class BulkResult:
    """One row's verification: its history row's public id and what the batch reports of it."""

    verification_id: uuid.UUID
    outcome: str
    differences: tuple[Difference, ...]
    findings: tuple[Finding, ...]
    invoice_id: int | None  # the registered invoice's row id when one was found (as the history row)
    risk: risk.Assessment = risk.NONE
    duplicate_of: int | None = None  # filled by the batch runner


@dataclass
class _Row:
    """A row on its way: the query, what ``services.prepare`` found, then the look-up's answer."""

    query: Query
    check: services.Check
    outcome: str | None
    differences: tuple[Difference, ...] = ()
    invoice_id: int | None = None
    registered_type: str | None = None


def verify_many(
    rows: Sequence[Row],
    actor,
    channel: str = Channel.BATCH,
    *,
    batch: str = "",
    on: datetime.date | None = None,
    recorded: Callable[[list[BulkResult]], None] | None = None,
) -> list[BulkResult]:
    """Verify every row and record each check; ``batch`` is the batch's reference for the audit entry.

    All or nothing: the history rows, the counting and the audit entry commit together, and so
    does whatever ``recorded(results)`` writes (a batch's chunk marked done with its results):
    it is called inside the write transaction, after the audit entry.  The look-ups come before,
    outside the write turn, so that other writers do not wait on them.
    """
    if not rows:
        return []
    on = on or timezone.localdate()
    pending = []
    for row in rows:
        query = Query.from_fields(content=row.content, **row.fields)
        check = services.prepare(query, on, row.document_findings, row.document, row.signature)
        pending.append(_Row(query, check, check.outcome))
    _look_up(pending)
    actor_id = services.actor_pk(actor)
    ids = [new_public_id() for _ in pending]
    checked_at = timezone.now()
    values = services.history_values(
        checked_at, (_history(i, r, actor_id, channel) for i, r in zip(ids, pending, strict=True))
    )
    organisation = services.organisation_index(actor)
    with dbapi.serialized_writes(), transaction.atomic():
        for index in _over_limit(pending, actor):
            pending[index] = over = _refused(pending[index])
            [values[index]] = services.history_values(
                checked_at, [_history(ids[index], over, actor_id, channel)]
            )
        events = [_event(r, actor_id, organisation, channel, checked_at) for r in pending]
        assessments = risk.assess_many(events)
        services.insert_history(services.with_risk(values, assessments))
        audit.record(
            audit.Action.VERIFICATION_CREATE_BULK,
            actor_id,
            audit.target(Verification),
            {
                "batch": batch,
                "channel": channel,
                "count": len(ids),
                "outcomes": dict(Counter(r.outcome for r in pending)),
                "first": str(ids[0]),
                "last": str(ids[-1]),
                "sha256": digest(ids),
            },
        )
        results = [
            BulkResult(public_id, r.outcome, r.differences, tuple(r.check.findings), r.invoice_id, assessment)
            for public_id, r, assessment in zip(ids, pending, assessments, strict=True)
        ]
        risky = [
            (event, assessment, public_id)
            for event, assessment, public_id in zip(events, assessments, ids, strict=True)
            if assessment.reasons
        ]
        if risky:
            transaction.on_commit(lambda: alerts.raise_for_many(risky), robust=True)
        if recorded is not None:
            recorded(results)
    metrics.verified_many((r.outcome for r in pending), channel)
    return results


def digest(public_ids: Sequence[uuid.UUID]) -> str:
    """What the audit entry vouches for: the SHA-256 of the public ids in order, one a line.

    >>> digest([uuid.UUID(int=1)]) == hashlib.sha256(b"00000000-0000-0000-0000-000000000001\\n").hexdigest()
    True
    """
    return hashlib.sha256("".join(f"{public_id}\n" for public_id in public_ids).encode()).hexdigest()


def _look_up(pending: list[_Row]) -> None:
    """Decide the outcome of every row that needs the registry, reading it set-wise."""
    to_find = [r for r in pending if r.outcome is None]
    found = lookup.find_many(InvoiceKey(r.query.code, r.query.number) for r in to_find if not r.query.content)
    for r in to_find:
        key = InvoiceKey(r.query.code, r.query.number)
        if r.query.content:  # compared with the whole invoice, parties and lines: read in full, alone
            registered = lookup.find(key)
            invoice = registered.invoice if registered else None
            result = comparison.compare(r.query, invoice) if invoice else None
        else:
            registered = invoice = found.get(key)
            result = comparison.compare_keys(r.query, invoice) if invoice else None
        if registered is None:
            r.outcome = comparison.NOT_FOUND
        else:
            r.outcome, r.differences = result.outcome, result.differences
            r.invoice_id, r.registered_type = registered.id, invoice.type


def _event(r: _Row, actor_id: int | None, organisation: str, channel: str, at) -> risk.Event:
    return risk.Event(
        actor_id=actor_id,
        organisation_index=organisation,
        client=None,
        channel=channel,
        outcome=r.outcome,
        code=r.query.code,
        number=r.query.number,
        invoice_id=r.invoice_id,
        at=at,
    )


def _history(public_id: uuid.UUID, r: _Row, actor_id: int | None, channel: str) -> tuple:
    return (
        public_id,
        actor_id,
        channel,
        r.check.submitted,
        r.outcome,
        r.differences,
        r.check.findings,
        r.invoice_id,
        services.invoice_type(r.query, r.registered_type, r.outcome),
    )


def _over_limit(pending: list[_Row], actor) -> list[int]:
    """Count the rows that looked an invoice up against its daily limit for ``actor`` (inside the
    write transaction); the positions of those past it."""
    who = throttling.who(actor, None)
    limit = throttling.invoice_limit()  # counted under the same keys as count_invoice_check
    if who is None or limit.count <= 0:
        return []
    looked_up = [
        (index, (who, r.query.code, r.query.number))
        for index, r in enumerate(pending)
        if r.check.outcome is None
    ]
    left = throttle.hit_many(limit, Counter(parts for _, parts in looked_up))
    over = []
    for index, parts in looked_up:
        if left[parts]:
            left[parts] -= 1
        else:
            over.append(index)
    return over


def _refused(r: _Row) -> _Row:
    """A row past the daily limit: ``invalid`` with the reason, and nothing of what was found."""
    limit = throttling.invoice_limit()
    finding = Finding(
        "verification.invoice",
        "number",
        ERROR,
        f"同一张发票每天最多查验 {limit.count} 次：not checked (at most {limit.count} checks of one invoice "
        "a day per account); try again tomorrow",
    )
    check = services.Check(r.check.submitted, [*r.check.findings, finding], comparison.INVALID)
    return _Row(r.query, check, comparison.INVALID)
