"""What the risk rules remember between checks, and the one way it is written.

- **Presentations** (:func:`present`, :func:`present_many`, :func:`distinct_presenters`): who
  presented a registered invoice.  A presenter is ``org:<organisation's tax-ID index>`` when the
  verifier belongs to an organisation, else ``account:<id>`` (:func:`presenter`); anonymous checks
  and the command line present nothing.  Only a keyed digest of it is stored.
- **Marks** (:func:`mark`): something said of an invoice outside a verification — reported as
  suspicious from a result page, or a forged certificate of one of its checks.  Public: the
  feedback and certificate services call it (through :mod:`yanpiao.alerts`) with
  ``InvoiceMark.Kind.REPORTED_BY_USER`` or ``InvoiceMark.Kind.FORGED_CERTIFICATE``.
- **Windows** (:func:`count_mismatch`, :func:`count_not_found`, :func:`count_many`,
  :func:`window_counts`): mismatches per (account or address, invoice key) and not_found per
  account or address, counted in the shared counters of :mod:`yanpiao.security.throttle`
  (fixed windows, keyed digests; never refused).

Writes are raw SQL through :mod:`yanpiao.dbapi` (SQLite and PostgreSQL alike), one upsert per
chunk for the set-wise versions; call them inside the verification's write transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.risk import settings as risk_settings
from yanpiao.risk.models import InvoiceMark, Presentation
from yanpiao.security import throttle
from yanpiao.security.fields import keyed_digest
from yanpiao.security.models import ThrottleWindow

PRESENTER_PURPOSE = "risk.presenter"
ROWS_PER_STATEMENT = 500  # five parameters a row: far below SQLite's limit
PRESENTATIONS = Presentation._meta.db_table
MARKS = InvoiceMark._meta.db_table
WINDOWS = ThrottleWindow._meta.db_table


# --- presentations ---------------------------------------------------------------------------


def presenter(actor_id: int | None, organisation_index: str = "") -> str | None:
    """Who presents an invoice by checking it: the organisation, else the account; None for an
    anonymous check or the command line (no account).

    >>> presenter(7, "3f9a"), presenter(7), presenter(None, "3f9a")
    ('org:3f9a', 'account:7', None)
    """
    if actor_id is None:
        return None
    return f"org:{organisation_index}" if organisation_index else f"account:{actor_id}"


def presenter_digest(label: str) -> str:
    """What is stored of a presenter: a keyed digest, never the organisation or the account."""
    return keyed_digest(label.encode(), PRESENTER_PURPOSE)


_PRESENT_SQL = (
    f"INSERT INTO {PRESENTATIONS} (invoice_id, presenter, first_at, last_at, count) VALUES {{values}}"  # nosec B608  # table names from the models' _meta and %s placeholders; values are parameters
    f" ON CONFLICT (invoice_id, presenter) DO UPDATE SET count = {PRESENTATIONS}.count + excluded.count,"
    f" last_at = CASE WHEN excluded.last_at > {PRESENTATIONS}.last_at"
    f" THEN excluded.last_at ELSE {PRESENTATIONS}.last_at END"
)


def present(invoice_id: int, presenter: str, at: datetime.datetime | None = None) -> None:
    """Record that ``presenter`` (a label of :func:`presenter`) presented the invoice at ``at``: the
    first time a row, then its count and last time."""
    present_many([(invoice_id, presenter, at or timezone.now())])


def present_many(presentations: Iterable[tuple[int, str, datetime.datetime]]) -> None:
    """:func:`present` for many ``(invoice_id, presenter, at)`` at once: one upsert per
    ROWS_PER_STATEMENT distinct (invoice, presenter), in a stable order."""
    rows: dict[tuple[int, str], list] = {}
    for invoice_id, label, at in presentations:
        row = rows.setdefault((invoice_id, presenter_digest(label)), [at, at, 0])
        row[0], row[1], row[2] = min(row[0], at), max(row[1], at), row[2] + 1
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    ordered = sorted(rows)  # one lock order for every writer (PostgreSQL)
    with dbapi.serialized_writes():
        cursor = dbapi.cursor()
        try:
            for first in range(0, len(ordered), ROWS_PER_STATEMENT):
                chunk = ordered[first : first + ROWS_PER_STATEMENT]
                values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                cursor.execute(
                    dbapi.sql(_PRESENT_SQL.format(values=values)),
                    [
                        value
                        for invoice_id, digest in chunk
                        for value in (
                            invoice_id,
                            digest,
                            adapt(rows[invoice_id, digest][0]),
                            adapt(rows[invoice_id, digest][1]),
                            rows[invoice_id, digest][2],
                        )
                    ],
                )
        finally:
            cursor.close()


def distinct_presenters(invoice_id: int) -> int:
    """How many organisations and accounts outside any have presented the invoice."""
    return Presentation.objects.filter(invoice_id=invoice_id).count()


def presenters_of(invoice_ids: Iterable[int]) -> dict[int, set[str]]:
    """The presenters' digests of each invoice (those presented at all), a query per 500 ids."""
    ids = sorted(set(invoice_ids))
    found: dict[int, set[str]] = {}
    cursor = dbapi.cursor()
    try:
        for first in range(0, len(ids), ROWS_PER_STATEMENT):
            chunk = ids[first : first + ROWS_PER_STATEMENT]
            cursor.execute(
                dbapi.sql(
                    f"SELECT invoice_id, presenter FROM {PRESENTATIONS}"  # nosec B608  # table names from the models' _meta and %s placeholders; values are parameters
                    f" WHERE invoice_id IN ({', '.join(['%s'] * len(chunk))})"
                ),
                chunk,
            )
            for invoice_id, digest in cursor.fetchall():
                found.setdefault(invoice_id, set()).add(digest)
    finally:
        cursor.close()
    return found


# --- marks -----------------------------------------------------------------------------------


def mark(invoice_id: int, kind: str, at: datetime.datetime | None = None) -> None:
    """Say ``kind`` (an ``InvoiceMark.Kind``: reported by a user, a forged certificate) of the
    registered invoice once more: its mark is created or counted up.  Every later check of the
    invoice carries the reason of that code (see docs/risk.md).

    Called by the feedback service's report and by the certificate check (through
    :mod:`yanpiao.alerts`); it takes part in the caller's transaction.
    """
    if kind not in InvoiceMark.Kind.values:
        raise ValueError(f"not a kind of invoice mark: {kind!r}")
    at = connection.ops.adapt_datetimefield_value(at or timezone.now())
    with dbapi.serialized_writes():
        cursor = dbapi.cursor()
        try:
            cursor.execute(
                dbapi.sql(
                    f"INSERT INTO {MARKS} (invoice_id, kind, count, last_at) VALUES (%s, %s, 1, %s)"  # nosec B608  # table names from the models' _meta and %s placeholders; values are parameters
                    f" ON CONFLICT (invoice_id, kind) DO UPDATE SET count = {MARKS}.count + 1,"
                    f" last_at = excluded.last_at"
                ),
                [invoice_id, kind, at],
            )
        finally:
            cursor.close()


# --- windows of counts -----------------------------------------------------------------------


def who(actor_id: int | None, client: str | None) -> str | None:
    """What a check is watched by: the account, else the client address (an IPv6 /64 as one);
    None for neither (the command line).

    >>> who(3, "10.0.0.1"), who(None, "10.0.0.1"), who(None, None)
    ('account:3', 'address:10.0.0.1', None)
    """
    if actor_id is not None:
        return f"account:{actor_id}"
    if client:
        return f"address:{throttle.address_key(client)}"
    return None


def mismatch_limit() -> throttle.Limit:
    """The window mismatches of one invoice key are counted in (forgery_probing)."""
    thresholds = risk_settings.current()
    return throttle.Limit("risk.mismatch", thresholds.probing_mismatches, thresholds.probing_window)


def not_found_limit() -> throttle.Limit:
    """The window not_found of one account or address are counted in (enumeration)."""
    thresholds = risk_settings.current()
    return throttle.Limit("risk.not_found", thresholds.enumeration_not_found, thresholds.enumeration_window)


def count_mismatch(watcher: str, code: str, number: str, at: datetime.datetime | None = None) -> int:
    """Count one mismatch of the key (code, number) by ``watcher`` (:func:`who`); how many in the window."""
    return throttle.tally(mismatch_limit(), watcher, code, number, now=at)


def count_not_found(watcher: str, at: datetime.datetime | None = None) -> int:
    """Count one not_found by ``watcher``; how many in the window."""
    return throttle.tally(not_found_limit(), watcher, now=at)


def count_many(
    limit: throttle.Limit, events: Mapping[tuple, int], at: datetime.datetime | None = None
) -> dict[tuple, int]:
    """Count ``events[parts]`` events for each ``parts`` in the window of ``at``; how many each
    held before (one statement per distinct key, in the order of their digests)."""
    ordered = sorted(events, key=lambda parts: throttle.key(limit, *parts))
    return {
        parts: throttle.tally(limit, *parts, now=at, times=events[parts]) - events[parts] for parts in ordered
    }


def window_counts(
    limit: throttle.Limit, keys: Iterable[tuple], at: datetime.datetime | None = None
) -> dict[tuple, int]:
    """How many events each ``parts`` holds in the window of ``at``, without counting one."""
    start = connection.ops.adapt_datetimefield_value(
        throttle.window_start(limit.window, at or timezone.now())
    )
    digests = {throttle.key(limit, *parts): parts for parts in keys}
    counts = dict.fromkeys(digests.values(), 0)
    ordered = sorted(digests)
    cursor = dbapi.cursor()
    try:
        for first in range(0, len(ordered), ROWS_PER_STATEMENT):
            chunk = ordered[first : first + ROWS_PER_STATEMENT]
            cursor.execute(
                dbapi.sql(
                    f"SELECT key, count FROM {WINDOWS}"  # nosec B608  # table names from the models' _meta and %s placeholders; values are parameters
                    f" WHERE started_at = %s AND key IN ({', '.join(['%s'] * len(chunk))})"
                ),
                [start, *chunk],
            )
            for digest, count in cursor.fetchall():
                counts[digests[digest]] = count
    finally:
        cursor.close()
    return counts


def window_key(limit: throttle.Limit, parts: tuple, at: datetime.datetime) -> tuple[str, Any]:
    """The counter's stored key and window start as the database compares them (for a read of a
    count inside another statement)."""
    start = throttle.window_start(limit.window, at)
    return throttle.key(limit, *parts), connection.ops.adapt_datetimefield_value(start)
