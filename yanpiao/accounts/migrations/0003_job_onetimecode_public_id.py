"""Issue 9: links name their one-time code by a random public id; the queue of work done after the response."""

import secrets

import django.utils.timezone
import yanpiao.accounts.models
import yanpiao.security.fields
from django.db import migrations, models


def give_public_ids(apps, schema_editor):
    OneTimeCode = apps.get_model("accounts", "OneTimeCode")
    for code in OneTimeCode.objects.filter(public_id__isnull=True).only("pk"):
        code.public_id = secrets.token_hex(16)
        code.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_encrypted_contact_organisations_tokens"),
    ]

    operations = [
        migrations.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("mail", "Mail"), ("text", "Text"), ("password_reset", "Password Reset")],
                        max_length=20,
                    ),
                ),
                ("payload", yanpiao.security.fields.EncryptedTextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("run_after", models.DateTimeField(db_index=True)),
                ("expires_at", models.DateTimeField()),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.CharField(blank=True, max_length=100)),
            ],
            options={
                "abstract": False,
            },
        ),
        # Rows that exist get an id of their own before the column becomes unique and required.
        migrations.AddField(
            model_name="onetimecode",
            name="public_id",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(give_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="onetimecode",
            name="public_id",
            field=models.CharField(
                default=yanpiao.accounts.models.new_public_id, editable=False, max_length=32, unique=True
            ),
        ),
    ]
