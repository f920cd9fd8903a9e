"""The shared lanes' writer looks for a lane's head and the last id among the recent entries first.

On the audit log partitioned by month (0006), ``security_auditentry_take_lane`` (0005) read a lane's
head and the last id with an index probe in every month's partition, for every entry written in a
shared lane (the lanes of connections that hold none: behind PgBouncer in transaction mode, every
connection).  With 45 months kept a writer appended 1,110–1,410 entries/s against 1,600–1,670 with
5.  It now looks among the entries of the last ``RECENT`` (this month's partition, the one before
and the default partition), and in every month only for a lane with no entry there.

Entries of a lane are appended in order of time, so its head is among its most recent entries; an
entry whose time is older than that (a writer's clock a month behind, or an id inserted by hand
with an old time) is not looked at, and a position or id written twice is named by ``yanpiao
audit verify``.  The writers that hold a lane (yanpiao.security.audit) look in the same months.
"""

import importlib

from django.db import migrations

TABLE = "security_auditentry"
SEQUENCE = f"{TABLE}_id_seq"
RECENT = "35 days"
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
    SELECT MAX(e.id) INTO last_id FROM {TABLE} e WHERE e.at >= now() - interval '{RECENT}';
    SELECT e.seq, e.entry_hash INTO head_seq, head_hash FROM {TABLE} e
        WHERE e.lane = taken_lane AND e.seq IS NOT NULL AND e.at >= now() - interval '{RECENT}'
        ORDER BY e.seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        SELECT e.seq, e.entry_hash INTO head_seq, head_hash FROM {TABLE} e
            WHERE e.lane = taken_lane AND e.seq IS NOT NULL ORDER BY e.seq DESC LIMIT 1;
    END IF;
END
$$"""  # nosec B608  # the table's name and a constant; the function takes its values as parameters


def from_recent_months(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TAKE_LANE, None)  # no parameters: its % is an operator


def from_every_month(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        lanes = importlib.import_module("yanpiao.security.migrations.0005_audit_lanes")
        schema_editor.execute(lanes.TAKE_LANE, None)


class Migration(migrations.Migration):
    dependencies = [("security", "0006_partition_by_month")]

    operations = [migrations.RunPython(from_recent_months, from_every_month)]
