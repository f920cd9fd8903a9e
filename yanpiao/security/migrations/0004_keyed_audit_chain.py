"""The audit chain becomes keyed (HMAC under a key derived from the master key).

Entries already in the log keep their plain SHA-256 hashes: the id of the last of them is sealed
in ``YANPIAO_HOME/audit/checkpoints.sealed`` and a checkpoint of it is signed
(:func:`yanpiao.security.audit.seal_unkeyed`), so ``yanpiao audit verify`` checks them as they were
written and every later entry keyed.  They are not re-hashed: that would bless whatever the log
holds today, tampering included.  An empty log needs nothing (and no master key).

On SQLite a trigger also refuses an INSERT over an existing entry (``INSERT OR REPLACE``), which
would otherwise rewrite it without firing the DELETE trigger.
"""

from django.db import migrations

TABLE = "security_auditentry"
SQLITE_NO_OVERWRITE = (
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_overwrite BEFORE INSERT ON {TABLE} "  # nosec B608  # the audit table's name, a constant
    f"WHEN NEW.id <= (SELECT COALESCE(MAX(id), 0) FROM {TABLE}) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)


def refuse_overwrites(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_OVERWRITE)


def allow_overwrites(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_overwrite")


def seal_unkeyed_entries(apps, schema_editor):
    from yanpiao.security import audit

    audit.seal_unkeyed()


class Migration(migrations.Migration):
    dependencies = [("security", "0003_throttle")]

    operations = [
        migrations.RunPython(refuse_overwrites, allow_overwrites),
        migrations.RunPython(seal_unkeyed_entries, migrations.RunPython.noop),
    ]
