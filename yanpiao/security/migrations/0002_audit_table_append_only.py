"""Create the audit table (not managed by Django), its indexes, and triggers refusing UPDATE and DELETE."""

from django.db import migrations, models

TABLE = "security_auditentry"
MESSAGE = "the audit log is append-only"
# By actor only: an index by action would cost every verification a page write for little use.
INDEXES = [models.Index(fields=["actor_id"], name="security_audit_actor")]

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {TABLE}_no_{event.lower()} BEFORE {event} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for event in ("UPDATE", "DELETE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{event}" for event in ("update", "delete")]

POSTGRESQL_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
END
$$""",
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_{event} ON {TABLE}" for event in ("update", "delete", "truncate")
] + [f"DROP FUNCTION IF EXISTS {TABLE}_append_only()"]


def triggers(vendor):
    return {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}[vendor]


def drop_triggers(vendor):
    return {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}[vendor]


def create(apps, schema_editor):
    model = apps.get_model("security", "AuditEntry")
    schema_editor.create_model(model)
    if schema_editor.connection.vendor == "sqlite":
        # The id as the rowid itself ("integer primary key"): one b-tree less to write per entry.
        schema_editor.execute(f"DROP TABLE {TABLE}")
        schema_editor.execute(
            f'CREATE TABLE {TABLE} ("id" integer NOT NULL PRIMARY KEY, "at" datetime NOT NULL, '
            '"actor_id" bigint NULL, "action" varchar(64) NOT NULL, "target" text NOT NULL, '
            '"detail" text NOT NULL CHECK (JSON_VALID("detail")), '
            '"previous_hash" varchar(64) NOT NULL, "entry_hash" varchar(64) NOT NULL)'
        )
    for index in INDEXES:  # Django makes none for an unmanaged model
        schema_editor.add_index(model, index)
    for statement in triggers(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    for statement in drop_triggers(schema_editor.connection.vendor):
        schema_editor.execute(statement)
    schema_editor.delete_model(apps.get_model("security", "AuditEntry"))


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
