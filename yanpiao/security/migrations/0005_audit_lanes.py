"""The audit log becomes parallel chains ("lanes"), so that writers no longer queue on one lock.

Every entry gets ``lane`` (which chain) and ``seq`` (its position in that chain, from 1), with a
unique index on the two.  Entries already in the log keep ``lane`` 0 and ``seq`` NULL: they were
chained by the rule of before (one chain by id, lane and position not hashed), and
:func:`yanpiao.security.audit.verify` reads them as lane 0 at position = id, so lane 0 goes on
from the last of them.  No row is updated (the table refuses UPDATE anyway) and nothing is
re-hashed.  On PostgreSQL ids come from a sequence from now on, started past the last id, and
the function ``security_auditentry_take_lane`` takes a lane and reads its head in one round trip.
"""

from django.db import migrations, models

TABLE = "security_auditentry"
SEQUENCE = f"{TABLE}_id_seq"
INDEX = "security_audit_lane_seq"
# One round trip for a writer (yanpiao.security.audit.record): take a lane (the first free one from
# this backend's, else wait for this backend's), then, each statement with a snapshot taken after
# the lock, the next id, the last id and the lane's head.
TAKE_LANE = f"""
CREATE OR REPLACE FUNCTION {TABLE}_take_lane(lanes integer, lock_key bigint,
    OUT taken_lane integer, OUT next_id bigint, OUT last_id bigint, OUT head_seq bigint, OUT head_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    start integer := pg_backend_pid() % lanes;
BEGIN
    FOR step IN 0 .. lanes - 1 LOOP
        IF pg_try_advisory_xact_lock(lock_key + (start + step) % lanes) THEN
            taken_lane := (start + step) % lanes;
            EXIT;
        END IF;
    END LOOP;
    IF taken_lane IS NULL THEN
        PERFORM pg_advisory_xact_lock(lock_key + start);
        taken_lane := start;
    END IF;
    next_id := nextval('{SEQUENCE}');
    SELECT MAX(e.id) INTO last_id FROM {TABLE} e;
    SELECT e.seq, e.entry_hash INTO head_seq, head_hash FROM {TABLE} e
        WHERE e.lane = taken_lane AND e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
END
$$"""  # nosec B608  # the table's name; the function takes its values as parameters


def add_lanes(apps, schema_editor):
    execute = schema_editor.execute
    execute(f"ALTER TABLE {TABLE} ADD COLUMN lane smallint NOT NULL DEFAULT 0")
    execute(f"ALTER TABLE {TABLE} ADD COLUMN seq bigint NULL")
    execute(f"CREATE UNIQUE INDEX {INDEX} ON {TABLE} (lane, seq)")
    if schema_editor.connection.vendor == "postgresql":
        execute(f"CREATE SEQUENCE {SEQUENCE} AS bigint OWNED BY {TABLE}.id")
        execute(f"SELECT setval('{SEQUENCE}', COALESCE((SELECT MAX(id) FROM {TABLE}), 0) + 1, false)")  # nosec B608  # the table's and sequence's names; no value
        execute(TAKE_LANE, None)  # no parameters: its % is an operator


def remove_lanes(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(f"DROP FUNCTION IF EXISTS {TABLE}_take_lane(integer, bigint)")
        execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
    execute(f"DROP INDEX IF EXISTS {INDEX}")
    execute(f"ALTER TABLE {TABLE} DROP COLUMN seq")
    execute(f"ALTER TABLE {TABLE} DROP COLUMN lane")


class Migration(migrations.Migration):
    dependencies = [("security", "0004_keyed_audit_chain")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_lanes, remove_lanes)],
            state_operations=[
                migrations.AddField("auditentry", "lane", models.SmallIntegerField(default=0)),
                migrations.AddField("auditentry", "seq", models.BigIntegerField(null=True)),
            ],
        )
    ]
