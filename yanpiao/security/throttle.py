"""Counting limits shared by every process: at most ``count`` events per key in a window.

A limit names what it counts (``"verification.invoice"``) and how many in how long; the key is
whatever it is counted per (an account, a client address, an invoice).  The counters live in a
table, or on Redis when ``YANPIAO_REDIS_URL`` is set (:mod:`yanpiao.security.throttle_redis`,
back to the table while Redis is away), so every web worker, the API and the CLI see the same
numbers; the keys are stored as keyed digests only: an address or an invoice number never
reaches the table or Redis.

Windows are fixed and aligned on local midnight of 2000-01-01 (``TIME_ZONE``): a window of one
day is a calendar day, as the national platform counts ("同一张发票每天最多查验 5 次"), and a
window of one hour starts on the hour.  A refused event is not counted, so waiting for
:attr:`Exceeded.retry_at` is always enough.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.security import throttle_redis
from yanpiao.security.fields import keyed_digest
from yanpiao.security.models import ThrottleWindow

DIGEST_PURPOSE = "throttle"
PRUNE_EVERY = datetime.timedelta(hours=1)
_pruned_at: datetime.datetime | None = None  # in this process


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events of kind ``name`` per key in each ``window``."""

    name: str
    count: int
    window: datetime.timedelta


class Exceeded(Exception):
    """The limit is reached for this key until ``retry_at``."""

    def __init__(self, limit: Limit, retry_at: datetime.datetime, now: datetime.datetime):
        super().__init__(f"{limit.name}: more than {limit.count} in {limit.window}; retry at {retry_at}")
        self.limit = limit
        self.retry_at = retry_at
        self.retry_after = max(1, int((retry_at - now).total_seconds() + 0.999))


def window_start(window: datetime.timedelta, now: datetime.datetime) -> datetime.datetime:
    """The start of the fixed window holding ``now``."""
    origin = timezone.make_aware(datetime.datetime(2000, 1, 1), timezone.get_default_timezone())
    return origin + ((now - origin) // window) * window


def key(limit: Limit, *parts) -> str:
    """The stored key: a keyed digest of the limit's name and the parts it is counted by."""
    return keyed_digest("\x1f".join([limit.name, *map(str, parts)]).encode(), DIGEST_PURPOSE)


def hit(limit: Limit, *parts, now: datetime.datetime | None = None) -> None:
    """Count one event for ``parts`` under ``limit``, or raise :class:`Exceeded` (not counted).

    One statement, atomic on its own (every API call counts one): the counter is created, moved
    to the current window, or raised by one — unless it has reached the limit in this window,
    when nothing changes and no row comes back.  On Redis, one script does the same.
    """
    if limit.count <= 0:
        return
    now = now or timezone.now()
    start = window_start(limit.window, now)
    end = start + limit.window
    digest = key(limit, *parts)
    counted = throttle_redis.hit(limit, digest, start, end)
    if counted is throttle_redis.IN_TABLE:
        table = ThrottleWindow._meta.db_table
        adapt = connection.ops.adapt_datetimefield_value
        with dbapi.serialized_writes():
            counted = _count(table, digest, adapt(start), adapt(end), limit.count)
        if counted is not None and counted[0] == 1:
            _prune(now)
    if counted is None:
        raise Exceeded(limit, end, now)


def _count(table: str, digest: str, start, end, most: int):
    cursor = dbapi.cursor()
    try:
        cursor.execute(
            dbapi.sql(
                f"INSERT INTO {table} (key, started_at, ends_at, count) VALUES (%s, %s, %s, 1) "  # nosec B608  # ThrottleWindow's table name and %s placeholders; values are parameters
                f"ON CONFLICT (key) DO UPDATE SET "
                f"count = CASE WHEN {table}.started_at = excluded.started_at THEN {table}.count + 1 ELSE 1 END, "
                f"started_at = excluded.started_at, ends_at = excluded.ends_at "
                f"WHERE {table}.started_at <> excluded.started_at OR {table}.count < %s "
                f"RETURNING count"
            ),
            [digest, start, end, most],
        )
        return cursor.fetchone()
    finally:
        cursor.close()


def tally(limit: Limit, *parts, now: datetime.datetime | None = None, times: int = 1) -> int:
    """Count ``times`` events (one by default) for ``parts`` in ``limit``'s current window and
    return how many it now holds; never refuses (``limit.count`` is not a ceiling here).

    For what is watched rather than limited (the risk rules' mismatches and not_found per
    account): one statement, under the same keys and table as :func:`hit` (on Redis, one MULTI).
    """
    now = now or timezone.now()
    start = window_start(limit.window, now)
    digest = key(limit, *parts)
    counted = throttle_redis.tally(limit, digest, start, start + limit.window, times)
    if counted is not throttle_redis.IN_TABLE:
        return counted
    adapt = connection.ops.adapt_datetimefield_value
    table = ThrottleWindow._meta.db_table
    with dbapi.serialized_writes():
        cursor = dbapi.cursor()
        try:
            cursor.execute(
                dbapi.sql(
                    f"INSERT INTO {table} (key, started_at, ends_at, count) VALUES (%s, %s, %s, %s) "  # nosec B608  # ThrottleWindow's table name and %s placeholders; values are parameters
                    f"ON CONFLICT (key) DO UPDATE SET "
                    f"count = CASE WHEN {table}.started_at = excluded.started_at "
                    f"THEN {table}.count + excluded.count ELSE excluded.count END, "
                    f"started_at = excluded.started_at, ends_at = excluded.ends_at "
                    f"RETURNING count"
                ),
                [digest, adapt(start), adapt(start + limit.window), times],
            )
            [counted] = cursor.fetchone()
        finally:
            cursor.close()
    if counted == times:
        _prune(now)
    return counted


KEYS_PER_STATEMENT = 500  # hit_many's keys per statement: 4 parameters each, far below SQLite's limit


def hit_many(
    limit: Limit, events: Mapping[tuple, int], now: datetime.datetime | None = None
) -> dict[tuple, int]:
    """Count ``events[parts]`` events for each ``parts`` under ``limit``, as far as it allows; return
    how many were counted for each (the first ones; the rest are refused and not counted).

    What :func:`hit` does once per event, for many keys at once: one upsert per KEYS_PER_STATEMENT
    keys moves each counter to the current window (or creates it), adds the key's events and
    returns the sum, locking the counter until the transaction ends; what went past the limit is
    taken back by one more statement, only for the keys that went past it.  Call it in the
    transaction whose work the events are, so that they are counted (or not) with it — in the
    table: on Redis one script per KEYS_PER_CALL keys counts them, and a rollback takes nothing back.
    """
    events = {parts: count for parts, count in events.items() if count > 0}
    if limit.count <= 0:
        return events
    now = now or timezone.now()
    start = window_start(limit.window, now)
    digests = {key(limit, *parts): parts for parts in events}
    ordered = sorted(digests)  # every writer locks counters in the same order: no deadlock on PostgreSQL
    in_redis = throttle_redis.hit_many(
        limit, [(digest, events[digests[digest]]) for digest in ordered], start, start + limit.window
    )
    if in_redis is throttle_redis.IN_TABLE:
        in_redis = {}
    counted = {digests[digest]: taken for digest, taken in in_redis.items()}
    ordered = [digest for digest in ordered if digest not in in_redis]
    if ordered:
        counted.update(_hit_many_in_table(limit, events, digests, ordered, start, now))
    return counted


def _hit_many_in_table(
    limit: Limit, events: Mapping[tuple, int], digests: dict[str, tuple], ordered: list[str], start, now
) -> dict[tuple, int]:
    """:func:`hit_many` in the table, for the digests ``ordered``."""
    adapt = connection.ops.adapt_datetimefield_value
    start_at, end_at = adapt(start), adapt(start + limit.window)
    chunks = [
        ordered[first : first + KEYS_PER_STATEMENT] for first in range(0, len(ordered), KEYS_PER_STATEMENT)
    ]
    table = ThrottleWindow._meta.db_table
    counted, past, renewed = {}, [], False
    with dbapi.serialized_writes(), transaction.atomic(savepoint=False):
        cursor = dbapi.cursor()
        try:
            for chunk in chunks:
                cursor.execute(
                    dbapi.sql(
                        f"INSERT INTO {table} (key, started_at, ends_at, count)"  # nosec B608  # ThrottleWindow's table name and %s placeholders; values are parameters
                        f" VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))}"
                        f" ON CONFLICT (key) DO UPDATE SET count = CASE"
                        f" WHEN {table}.started_at = excluded.started_at THEN {table}.count + excluded.count"
                        f" ELSE excluded.count END,"
                        f" started_at = excluded.started_at, ends_at = excluded.ends_at"
                        f" RETURNING key, count"
                    ),
                    [
                        value
                        for digest in chunk
                        for value in (digest, start_at, end_at, events[digests[digest]])
                    ],
                )
                for digest, after in cursor.fetchall():
                    parts = digests[digest]
                    before = after - events[parts]
                    counted[parts] = max(0, min(events[parts], limit.count - before))
                    renewed = renewed or before == 0
                    if after > limit.count:  # take back what was refused
                        past.append((digest, before + counted[parts]))
            for first in range(0, len(past), KEYS_PER_STATEMENT):
                chunk = past[first : first + KEYS_PER_STATEMENT]
                cursor.execute(
                    dbapi.sql(
                        f"UPDATE {table} SET count = v.column2"  # nosec B608  # ThrottleWindow's table name and %s placeholders; values are parameters
                        f" FROM (VALUES {', '.join(['(%s, %s)'] * len(chunk))}) AS v WHERE {table}.key = v.column1"
                    ),
                    [value for item in chunk for value in item],
                )
        finally:
            cursor.close()
    if renewed:
        _prune(now)
    return counted


def forget_expired(now: datetime.datetime | None = None) -> int:
    """Delete the counters whose window has ended: they count nothing any more."""
    deleted, _ = ThrottleWindow.objects.filter(ends_at__lte=now or timezone.now()).delete()
    return deleted


def _prune(now: datetime.datetime) -> None:
    """Now and then (once an hour per process, when a new key is counted) forget ended windows."""
    global _pruned_at
    if _pruned_at is None or not _pruned_at <= now < _pruned_at + PRUNE_EVERY:
        _pruned_at = now
        forget_expired(now)


def address_key(address: str | None) -> str:
    """What a client address is counted by: the address itself, or its /64 for IPv6 (one
    subscriber usually holds a whole /64)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
