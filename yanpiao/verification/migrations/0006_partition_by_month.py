"""PostgreSQL: the history (``verification_verification``) becomes partitioned by month on ``created_at``.

In the database the primary key becomes (id, created_at) and ``public_id``'s uniqueness
(public_id, created_at): a unique index of a partitioned table must contain the partition key.
Public ids are UUIDv7 made at the time of the check (74 random bits), so two checks with one
public id at different times do not happen in practice.  Django's state does not change: ``id``
stays the model's primary key, ``public_id`` stays unique.  The foreign keys to the history
(feedback's ratings and reports, support's tickets) cannot reference ``id`` alone any more:
their database constraints are dropped, found by name in the catalogue; Django still applies
their ``on_delete`` (CASCADE, SET_NULL) when a check is deleted through the ORM.  The foreign
keys from the history (actor, invoice) stay.  The conversion and its reverse are security
migration 0006's.  SQLite: nothing changes.
"""

import importlib

from django.db import migrations

TABLE = "verification_verification"
KEY = "created_at"
WIDENED = [f"{TABLE}_pkey", f"{TABLE}_public_id_key"]
REFERENCING = [
    ("feedback", "Rating", "verification"),
    ("feedback", "SuspiciousReport", "verification"),
    ("support", "Ticket", "verification"),
]

conversion = importlib.import_module("yanpiao.security.migrations.0006_partition_by_month")


def forwards(apps, schema_editor):
    conversion.partition_by_month(schema_editor, TABLE, KEY)


def backwards(apps, schema_editor):
    referencing = [(apps.get_model(app, model), field) for app, model, field in REFERENCING]
    conversion.unpartition(schema_editor, TABLE, KEY, WIDENED, referencing)


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0005_risk"),
        ("security", "0006_partition_by_month"),
        ("feedback", "0002_rating_aspects"),
        ("support", "0002_help_pages"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
