"""PostgreSQL: the audit log becomes a table partitioned by month on ``at`` (declarative partitioning).

A unique index of a partitioned table must contain the partition key, so the primary key becomes
(id, at) and the lane index (lane, seq, at) in the database; Django's model (unmanaged) keeps
``id`` as its key.  Ids still come from ``security_auditentry_id_seq``, now owned by the new table.
The triggers refusing UPDATE and DELETE are recreated on the parent (PostgreSQL clones row triggers
to every partition); the statement trigger refusing TRUNCATE is not cloned, so every partition gets
one of its own.  Rows are copied as they are: nothing is re-hashed, and ``audit.verify()`` walks
the chains by id as before.  SQLite: nothing changes.

This module also holds the conversion itself, :func:`partition_by_month` and its reverse
:func:`unpartition`, which the history's migration imports (and a registry one may: a migration is
frozen once released, so they share this text rather than app code that may change).
"""

import datetime
import re

from django.db import migrations

TABLE = "security_auditentry"
KEY = "at"
MONTHS_AHEAD = 3
# The constraints and indexes that gained the partition key here, narrowed back by the reverse.
WIDENED = [f"{TABLE}_pkey", "security_audit_lane_seq"]


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def _fetch(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _months(first, last):
    """Every month from ``first`` to ``last`` (first days of months), both included."""
    month = first
    while month <= last:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _bound(month, is_date):
    return f"'{month:%Y-%m-%d}'" if is_date else f"'{month:%Y-%m-%d} 00:00:00+00'"


def create_month(cursor, table, key, month, is_date):
    """Create the partition of ``table`` for ``month`` (UTC months), named ``<table>_pYYYY_MM``."""
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    name = f"{table}_p{month:%Y_%m}"
    cursor.execute(
        f"CREATE TABLE {_quote(name)} PARTITION OF {_quote(table)} "
        f"FOR VALUES FROM ({_bound(month, is_date)}) TO ({_bound(following, is_date)})"
    )
    copy_statement_triggers(cursor, table, name)
    return name


def copy_statement_triggers(cursor, table, partition):
    """PostgreSQL clones row triggers to partitions, not statement ones (TRUNCATE): copy those."""
    for (definition,) in _fetch(
        cursor,
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
        "AND NOT tgisinternal AND tgtype & 1 = 0",
        [table],
    ):
        cursor.execute(definition.replace(f" ON public.{table} ", f" ON public.{partition} ", 1))


def _columns(cursor, relation, attnums):
    names = dict(
        _fetch(cursor, "SELECT attnum, attname FROM pg_attribute WHERE attrelid = %s::regclass", [relation])
    )
    return [names[number] for number in attnums]


def _identities_and_owned_sequences(cursor, table: str) -> tuple[list, list]:
    """The identity columns of ``table`` (name, kind, sequence) and the sequences it owns (sequence, column)."""
    identities = _fetch(
        cursor,
        "SELECT attname, attidentity, pg_get_serial_sequence(%s, attname) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attidentity <> ''",
        [table, table],
    )
    owned = _fetch(
        cursor,
        "SELECT d.objid::regclass::text, a.attname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
        "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE d.refobjid = %s::regclass AND d.deptype = 'a' AND s.relkind = 'S'",
        [table],
    )
    return identities, owned


def _set_aside(cursor, table, aside, constraints, indexes, identities, owned) -> dict:
    """Rename ``table`` to ``aside`` and strip it of its constraints, indexes, identities and owned
    sequences, so that a table of the old name can take them; the identities' sequence positions."""
    cursor.execute(f"ALTER TABLE {_quote(table)} RENAME TO {_quote(aside)}")
    for name, *_ in constraints:
        cursor.execute(f"ALTER TABLE {_quote(aside)} DROP CONSTRAINT {_quote(name)}")
    for name, *_ in indexes:
        cursor.execute(f"DROP INDEX {_quote(name)}")
    positions = {}
    for column, _, sequence in identities:
        positions[column] = _fetch(cursor, f"SELECT last_value, is_called FROM {sequence}")[0]  # nosec B608  # a sequence name from the catalogue
        cursor.execute(f"ALTER TABLE {_quote(aside)} ALTER COLUMN {_quote(column)} DROP IDENTITY")
    for sequence, _ in owned:
        cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    return positions


def partition_by_month(schema_editor, table, key, months_ahead=MONTHS_AHEAD, today=None):
    """Turn the plain ``table`` into one partitioned by month on ``key``, rows kept (PostgreSQL only).

    The old table is renamed; a parent with the same columns, defaults and checks is created
    (``LIKE``), with one partition per month that has rows, this month and ``months_ahead``
    more, and a DEFAULT partition so that an insert never fails; the rows are copied, the old
    table dropped, then the keys, foreign keys, indexes and triggers are made on the parent under
    their old names: a primary key or unique constraint or index without ``key`` gets it added.
    Identity columns keep their sequence's position; a sequence owned by a column stays owned.
    Foreign keys from other tables to this one are dropped (they cannot reference a partitioned
    table's id alone); Django emulates their ``on_delete``.  Returns the names of those dropped.
    """
    if schema_editor.connection.vendor != "postgresql":
        return []
    today = today or datetime.datetime.now(datetime.UTC).date()
    old = f"{table}_unpartitioned"
    with schema_editor.connection.cursor() as cursor:
        referencing = _fetch(
            cursor,
            "SELECT conname, conrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = %s::regclass AND conparentid = 0",
            [table],
        )
        for name, other in referencing:
            cursor.execute(f"ALTER TABLE {_quote(other)} DROP CONSTRAINT {_quote(name)}")
        constraints = _fetch(
            cursor,
            "SELECT conname, contype, conkey, pg_get_constraintdef(oid), conindid FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') AND confrelid <> conrelid "
            "ORDER BY contype DESC, conname",
            [table],
        )
        indexes = _fetch(
            cursor,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indpred IS NOT NULL "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
            "AND k.conrelid = i.indrelid) ORDER BY c.relname",
            [table],
        )
        triggers = _fetch(
            cursor,
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal ORDER BY tgname",
            [table],
        )
        identities, owned = _identities_and_owned_sequences(cursor, table)
        (key_type,) = _fetch(
            cursor,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = %s",
            [table, key],
        )[0]
        is_date = key_type == "date"

        positions = _set_aside(cursor, table, old, constraints, indexes, identities, owned)

        cursor.execute(
            f"CREATE TABLE {_quote(table)} (LIKE {_quote(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({_quote(key)})"
        )
        for column, kind, _ in identities:
            always = "ALWAYS" if kind == "a" else "BY DEFAULT"
            cursor.execute(
                f"ALTER TABLE {_quote(table)} ALTER COLUMN {_quote(column)} ADD GENERATED {always} AS IDENTITY"
            )
            (sequence,) = _fetch(cursor, "SELECT pg_get_serial_sequence(%s, %s)", [table, column])[0]
            last_value, is_called = positions[column]
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
        for sequence, column in owned:
            cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {_quote(table)}.{_quote(column)}")

        month_of = f"{_quote(key)}" if is_date else f"{_quote(key)} AT TIME ZONE 'UTC'"
        with_rows = [
            month
            for (month,) in _fetch(
                cursor,
                f"SELECT DISTINCT date_trunc('month', {month_of})::date FROM {_quote(old)} "  # nosec B608  # names from the catalog
                f"WHERE {_quote(key)} IS NOT NULL",
            )
        ]
        this_month = today.replace(day=1)
        ahead = list(
            _months(this_month, (this_month + datetime.timedelta(days=31 * months_ahead)).replace(day=1))
        )
        for month in sorted(set(with_rows) | set(ahead)):
            create_month(cursor, table, key, month, is_date)
        cursor.execute(f"CREATE TABLE {_quote(table + '_default')} PARTITION OF {_quote(table)} DEFAULT")

        cursor.execute(f"INSERT INTO {_quote(table)} SELECT * FROM {_quote(old)}")  # nosec B608  # names from the catalog
        cursor.execute(f"DROP TABLE {_quote(old)}")

        for name, kind, attnums, definition, _ in constraints:
            if kind in ("p", "u"):
                columns = _columns(cursor, table, attnums)
                if key not in columns:
                    columns.append(key)
                what = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                definition = f"{what} ({', '.join(_quote(c) for c in columns)})"
            cursor.execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
        for _name, definition, unique, partial in indexes:
            if unique and not partial and not re.search(rf"[(,] ?{re.escape(key)}[,)]", definition):
                definition = re.sub(r"\)$", f", {_quote(key)})", definition)
            cursor.execute(definition)
        for _, definition in triggers:
            cursor.execute(definition)
        for (partition,) in _fetch(
            cursor, "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [table]
        ):
            copy_statement_triggers(cursor, table, partition)
    return [name for name, _ in referencing]


def unpartition(schema_editor, table, key, widened, referencing_models=()):
    """The reverse of :func:`partition_by_month`: a plain table again, rows kept.  The constraints
    and unique indexes named in ``widened`` lose ``key`` again; the foreign keys of the fields in
    ``referencing_models`` (``(model, field name)`` of the historical apps) are made again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    partitioned = f"{table}_partitioned"
    with schema_editor.connection.cursor() as cursor:
        constraints = _fetch(
            cursor,
            "SELECT conname, contype, conkey, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') AND conparentid = 0 "
            "ORDER BY contype DESC, conname",
            [table],
        )
        indexes = _fetch(
            cursor,
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname",
            [table],
        )
        triggers = _fetch(
            cursor,
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname",
            [table],
        )
        identities, owned = _identities_and_owned_sequences(cursor, table)
        positions = _set_aside(cursor, table, partitioned, constraints, indexes, identities, owned)
        cursor.execute(
            f"CREATE TABLE {_quote(table)} (LIKE {_quote(partitioned)} INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        for column, kind, _ in identities:
            always = "ALWAYS" if kind == "a" else "BY DEFAULT"
            cursor.execute(
                f"ALTER TABLE {_quote(table)} ALTER COLUMN {_quote(column)} ADD GENERATED {always} AS IDENTITY"
            )
            (sequence,) = _fetch(cursor, "SELECT pg_get_serial_sequence(%s, %s)", [table, column])[0]
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, *positions[column]])
        for sequence, column in owned:
            cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {_quote(table)}.{_quote(column)}")
        cursor.execute(f"INSERT INTO {_quote(table)} SELECT * FROM {_quote(partitioned)}")  # nosec B608  # names from the catalog
        cursor.execute(f"DROP TABLE {_quote(partitioned)} CASCADE")
        for name, kind, attnums, definition in constraints:
            if kind in ("p", "u") and name in widened:
                columns = [c for c in _columns(cursor, table, attnums) if c != key]
                what = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                definition = f"{what} ({', '.join(_quote(c) for c in columns)})"
            cursor.execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
        for name, definition in indexes:
            if name in widened:
                definition = re.sub(rf", {re.escape(_quote(key))}\)$|, {re.escape(key)}\)$", ")", definition)
            cursor.execute(definition.replace(f" ON ONLY public.{table} ", f" ON public.{table} "))
        for (definition,) in triggers:
            cursor.execute(definition)
    for model, field_name in referencing_models:
        field = model._meta.get_field(field_name)
        schema_editor.execute(schema_editor._create_fk_sql(model, field, "_fk_%(to_table)s_%(to_column)s"))


def forwards(apps, schema_editor):
    partition_by_month(schema_editor, TABLE, KEY)


def backwards(apps, schema_editor):
    unpartition(schema_editor, TABLE, KEY, WIDENED)


class Migration(migrations.Migration):
    dependencies = [("security", "0005_audit_lanes")]

    operations = [migrations.RunPython(forwards, backwards)]
