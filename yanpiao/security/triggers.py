"""The triggers that keep the audit table append-only: what they are, whether they hold, restoring them.

SQLite: ``<table>_no_update`` and ``<table>_no_delete`` refuse UPDATE and DELETE, and
``<table>_no_overwrite`` refuses an INSERT whose id is not past the last entry — ``INSERT OR
REPLACE`` (and ``REPLACE``) would otherwise delete the old row without firing the DELETE trigger
(SQLite fires delete triggers for a REPLACE only with ``recursive_triggers`` on, a connection
setting that an intruder's connection would not have).  An ``INSERT … ON CONFLICT DO UPDATE`` is
an UPDATE and meets ``_no_update``.

PostgreSQL: ``_no_update``, ``_no_delete`` (per row) and ``_no_truncate`` (per statement), all
calling the function ``<table>_append_only()``.  PostgreSQL has no REPLACE, and ``INSERT … ON
CONFLICT DO UPDATE`` fires the BEFORE UPDATE triggers, so no insert guard is needed.

Partitioned by month (PostgreSQL, migration 0006), every partition carries the row triggers as
clones of the parent's and a copy of ``_no_truncate`` (PostgreSQL clones no statement trigger).
A clone can be disabled on its partition alone, which lets rows of that month be deleted: each
partition is checked and restored like the parent.

Migration 0002 created the first set, 0004 adds the SQLite insert guard; :func:`restore`, run
after every ``migrate`` (``apps.py``), recreates a trigger that was dropped, re-enables one that
was disabled and replaces one that was changed.  :func:`problems` is what ``yanpiao audit verify``
reports about them.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE = "security_auditentry"
MESSAGE = "the audit log is append-only"
FUNCTION = f"{TABLE}_append_only"
FUNCTION_BODY = f"""
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END
"""

# PostgreSQL's pg_trigger.tgtype bits
_ROW, _BEFORE, _DELETE, _UPDATE, _TRUNCATE = 1, 2, 8, 16, 32


@dataclass(frozen=True)
class Trigger:
    name: str
    create: str  # the statement, exactly as SQLite keeps it in sqlite_master
    tgtype: int = 0  # PostgreSQL: the kind of trigger expected

    def create_on(self, table: str) -> str:
        """The statement creating this trigger on ``table`` (the audit table or one of its partitions)."""
        return self.create.replace(f" ON {TABLE} ", f" ON {table} ", 1)


def _sqlite_refuse(name: str, event: str, when: str = "") -> Trigger:
    condition = f" WHEN {when}" if when else ""
    return Trigger(
        f"{TABLE}_{name}",
        f"CREATE TRIGGER {TABLE}_{name} BEFORE {event} ON {TABLE}{condition} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    )


SQLITE = [
    _sqlite_refuse("no_update", "UPDATE"),
    _sqlite_refuse("no_delete", "DELETE"),
    # NEW.id is -1 for an insert without an id: refused as well (audit.record always gives one)
    _sqlite_refuse("no_overwrite", "INSERT", f"NEW.id <= (SELECT COALESCE(MAX(id), 0) FROM {TABLE})"),  # nosec B608  # the audit table's name, a constant
]


def _postgresql_refuse(event: str, row: bool = True) -> Trigger:
    name = f"{TABLE}_no_{event.lower()}"
    each = "ROW" if row else "STATEMENT"
    bit = {"UPDATE": _UPDATE, "DELETE": _DELETE, "TRUNCATE": _TRUNCATE}[event]
    return Trigger(
        name,
        f"CREATE TRIGGER {name} BEFORE {event} ON {TABLE} FOR EACH {each} EXECUTE FUNCTION {FUNCTION}()",
        (_ROW if row else 0) | _BEFORE | bit,
    )


POSTGRESQL = [
    _postgresql_refuse("UPDATE"),
    _postgresql_refuse("DELETE"),
    _postgresql_refuse("TRUNCATE", row=False),
]
POSTGRESQL_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $${FUNCTION_BODY}$$"
)


def expected(vendor: str) -> list[Trigger]:
    return {"sqlite": SQLITE, "postgresql": POSTGRESQL}[vendor]


@dataclass(frozen=True)
class Problem:
    name: str
    what: str  # "missing", "disabled", "changed"
    table: str = TABLE  # the audit table, or the partition whose trigger it is

    def __str__(self) -> str:
        kind = "function" if self.name == FUNCTION else "trigger"
        state = "was changed" if self.what == "changed" else f"is {self.what}"
        on = "" if self.table == TABLE else f" on {self.table}"
        return f"the {kind} {self.name}{on} {state}: run yanpiao migrate"


def table_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)


def _sqlite_problems(cursor) -> list[Problem]:
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
    found = dict(cursor.fetchall())
    problems = []
    for trigger in SQLITE:
        if trigger.name not in found:
            problems.append(Problem(trigger.name, "missing"))
        elif " ".join(found[trigger.name].split()) != trigger.create:
            problems.append(Problem(trigger.name, "changed"))
    return problems


def _postgresql_problems(cursor) -> list[Problem]:
    problems = []
    cursor.execute(
        "SELECT p.prosrc FROM pg_proc p WHERE p.proname = %s AND p.pronamespace = "
        "(SELECT c.relnamespace FROM pg_class c WHERE c.oid = %s::regclass)",
        [FUNCTION, TABLE],
    )
    source = cursor.fetchone()
    if source is None:
        problems.append(Problem(FUNCTION, "missing"))
    elif source[0].split() != FUNCTION_BODY.split():
        problems.append(Problem(FUNCTION, "changed"))
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
        [TABLE],
    )
    tables = [TABLE] + [name for (name,) in cursor.fetchall()]
    cursor.execute(
        "SELECT c.relname, t.tgname, t.tgenabled, t.tgtype, p.proname, t.tgqual IS NOT NULL "
        "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relname = ANY(%s) AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = %s::regclass) "
        "AND NOT t.tgisinternal",
        [tables, TABLE],
    )
    found = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    for table in tables:
        for trigger in POSTGRESQL:
            if (table, trigger.name) not in found:
                problems.append(Problem(trigger.name, "missing", table))
                continue
            enabled, tgtype, function, conditional = found[(table, trigger.name)]
            if tgtype != trigger.tgtype or function != FUNCTION or conditional:
                problems.append(Problem(trigger.name, "changed", table))
            elif enabled == "D":
                problems.append(Problem(trigger.name, "disabled", table))
    return problems


def problems(connection) -> list[Problem]:
    """What is wrong with the triggers of the audit table: missing, disabled or changed ones."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _postgresql_problems(cursor)
        return _sqlite_problems(cursor)


def restore(connection) -> list[Problem]:
    """Recreate, re-enable or replace what :func:`problems` finds; return what was wrong.

    The audit table's own triggers first: mending them mends their clones on the partitions,
    which are then looked at again (what is still wrong there is mended and returned too).
    Idempotent: with every trigger in place it only reads the catalogue.
    """
    if not table_exists(connection):
        return []
    found = problems(connection)
    if not found:
        return []
    mended = [problem for problem in found if problem.table == TABLE]
    _mend(connection, mended)
    left = [problem for problem in problems(connection) if problem.table != TABLE] if mended else found
    _mend(connection, left)
    return mended + left


def _mend(connection, found: list[Problem]) -> None:
    by_name = {trigger.name: trigger for trigger in expected(connection.vendor)}
    with connection.cursor() as cursor:
        for problem in found:
            if problem.name == FUNCTION:
                cursor.execute(POSTGRESQL_FUNCTION)
                continue
            trigger = by_name[problem.name]
            if problem.what == "disabled":
                cursor.execute(f"ALTER TABLE {problem.table} ENABLE TRIGGER {trigger.name}")
                continue
            if problem.what == "changed":
                on = f" ON {problem.table}" if connection.vendor == "postgresql" else ""
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name}{on}")
            cursor.execute(trigger.create_on(problem.table))
