"""The monthly partitions of the history and the audit log on PostgreSQL: make them ahead, list them, drop old months.

Migrations verification 0006 and security 0006 turn ``verification_verification`` (by
``created_at``) and ``security_auditentry`` (by ``at``) into tables partitioned by range, one
partition per UTC month named ``<table>_pYYYY_MM`` and a ``<table>_default`` partition that takes
any row no month takes, so an insert never fails.  ``registry_invoice`` (by ``issue_date``) is
listed for the day it is converted too; until then it is a plain table and left alone.
:func:`ensure_partitions` (daily, from the worker: :func:`schedule`) creates this month's and the
next months' partitions; :func:`drop_partitions_before` drops whole months of the history for
retention.  On SQLite, or on a table not partitioned, every function does nothing.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from yanpiao import periodic

TABLES = ("verification_verification", "security_auditentry", "registry_invoice")
# Never dropped by month: the audit log (audit.verify() walks every lane from its first entry) and
# the registry (the store of record of every issued invoice).
NEVER_DROPPED = ("security_auditentry", "registry_invoice")
MONTHS_AHEAD = 3
LOCK_TIMEOUT = "5s"  # creating a partition locks the parent: give up rather than queue every writer behind it
EVERY = datetime.timedelta(days=1)
QUEUE = "default"
_last_queued: list[float] = []  # monotonic time this process last queued the task (Redis queue)
_NAME = re.compile(r"_p(\d{4})_(\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    bounds: str  # as PostgreSQL states it: "FOR VALUES FROM (…) TO (…)" or "DEFAULT"
    rows: int  # the planner's estimate (-1: never analysed)

    @property
    def month(self) -> datetime.date | None:
        found = _NAME.search(self.name)
        return datetime.date(int(found[1]), int(found[2]), 1) if found else None


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _first_of_next(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def partitioned_tables() -> dict[str, str]:
    """The tables of :data:`TABLES` that are partitioned here, with their partition column."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
            "WHERE c.relname = ANY(%s) AND pg_table_is_visible(c.oid)",
            [list(TABLES)],
        )
        found = dict(cursor.fetchall())
    return {table: found[table] for table in TABLES if table in found}


def partitions(table: str) -> list[Partition]:
    """The partitions of ``table``, months in order, the default partition last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [table],
        )
        found = [Partition(*row) for row in cursor.fetchall()]
    return sorted(found, key=lambda p: (p.bounds == "DEFAULT", p.name))


def _bound(month: datetime.date, is_date: bool) -> str:
    return f"'{month:%Y-%m-%d}'" if is_date else f"'{month:%Y-%m-%d} 00:00:00+00'"


def _is_date(cursor, table: str, key: str) -> bool:
    cursor.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
        [table, key],
    )
    return cursor.fetchone()[0] == "date"


def _copy_statement_triggers(cursor, table: str, partition: str) -> None:
    """Statement triggers (the audit log's refusing TRUNCATE) are not cloned to partitions: copy them."""
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
        "AND NOT tgisinternal AND tgtype & 1 = 0",
        [table],
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(definition.replace(f" ON public.{table} ", f" ON public.{partition} ", 1))


def create_month(table: str, key: str, month: datetime.date) -> bool:
    """Create ``table``'s partition of ``month`` unless it exists; whether it was created.

    When the default partition holds rows of that month, PostgreSQL refuses to create it: the
    default partition is then detached, the month created, its rows moved out of the default
    partition into it and the default partition attached again, all in one transaction.
    """
    name = f"{table}_p{month:%Y_%m}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        is_date = _is_date(cursor, table, key)
        start, end = _bound(month, is_date), _bound(_first_of_next(month), is_date)
        default = f"{table}_default"
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [default])
        has_default = cursor.fetchone()[0]
        in_month = f"{_quote(key)} >= {start} AND {_quote(key)} < {end}"
        stranded = False
        if has_default:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_quote(default)} WHERE {in_month})")  # nosec B608  # names from the catalogue, bounds from dates
            stranded = cursor.fetchone()[0]
        if stranded:
            cursor.execute(f"ALTER TABLE {_quote(table)} DETACH PARTITION {_quote(default)}")
        cursor.execute(
            f"CREATE TABLE {_quote(name)} PARTITION OF {_quote(table)} FOR VALUES FROM ({start}) TO ({end})"
        )
        _copy_statement_triggers(cursor, table, name)
        if stranded:
            # Detached, the default partition has lost the row triggers cloned from the parent
            # (the audit log's refusing DELETE), so the rows can move; they are moved, not changed.
            cursor.execute(
                f"WITH moved AS (DELETE FROM {_quote(default)} WHERE {in_month} RETURNING *) "  # nosec B608  # names from the catalogue, bounds from dates
                f"INSERT INTO {_quote(name)} SELECT * FROM moved"
            )
            cursor.execute(f"ALTER TABLE {_quote(table)} ATTACH PARTITION {_quote(default)} DEFAULT")
    return True


def ensure_partitions(months_ahead: int = MONTHS_AHEAD, today: datetime.date | None = None) -> list[str]:
    """Create this month's partition and the next ``months_ahead`` ones of every partitioned table
    that lacks them; the names created.  Idempotent."""
    today = today or timezone.now().date()
    month, created = today.replace(day=1), []
    months = []
    for _ in range(months_ahead + 1):
        months.append(month)
        month = _first_of_next(month)
    for table, key in partitioned_tables().items():
        created += [f"{table}_p{m:%Y_%m}" for m in months if create_month(table, key, m)]
    return created


def drop_partitions_before(table: str, before: datetime.date) -> list[str]:
    """Drop ``table``'s monthly partitions that end on or before ``before``: retention by whole
    months, instant whatever their size.  Rows of those months in the default partition stay
    (delete them row by row).  The audit log is refused.  The names dropped."""
    if table in NEVER_DROPPED:
        raise ValueError(f"{table} keeps every month: its chains are verified from their first entry")
    if table not in partitioned_tables():
        return []
    dropped = []
    for partition in partitions(table):
        month = partition.month
        if month is not None and _first_of_next(month) <= before:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute(f"DROP TABLE {_quote(partition.name)}")
            dropped.append(partition.name)
    return dropped


@task(queue_name=QUEUE)
def ensure() -> dict:
    """The background task: :func:`ensure_partitions`, the partitions it created."""
    return {"created": ensure_partitions()}


def schedule() -> bool:
    """Queue :func:`ensure` unless one is waiting or was queued within a day (listed in
    ``YANPIAO_PERIODIC_TASKS``); whether one was queued.  Does nothing on SQLite."""
    if connection.vendor != "postgresql":
        return False
    return periodic.queue_at_most_every(ensure, EVERY, _last_queued)


__all__ = [
    "Partition",
    "create_month",
    "drop_partitions_before",
    "ensure",
    "ensure_partitions",
    "partitioned_tables",
    "partitions",
    "schedule",
]
