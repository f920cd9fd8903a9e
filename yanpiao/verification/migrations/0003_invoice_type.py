"""The invoice type of each check (``Verification.invoice_type``), for filtering the history.

Rows recorded before get their type as ``verification.services`` files new ones: the submitted
type, else the type the code and number imply, else the registered invoice's when the outcome
revealed it; in chunks, so a long history is not read into memory at once.
"""

from django.db import migrations, models

# The outcomes whose key fields matched (fapiao.compare.REVEALING when this was written).
REVEALING = ("authentic", "tampered", "voided", "red_flushed", "abnormal")
TYPES = ("01", "04", "10", "11", "14", "20", "31", "32")
CHUNK = 2000


def fill_types(apps, schema_editor):
    from yanpiao.fapiao.code import infer_type

    Verification = apps.get_model("verification", "Verification")
    last_id = 0
    while True:
        rows = list(
            Verification.objects.filter(id__gt=last_id)
            .order_by("id")
            .select_related("invoice")
            .only("id", "submitted", "outcome", "invoice", "invoice__type")[:CHUNK]
        )
        if not rows:
            return
        last_id = rows[-1].id
        changed = []
        for row in rows:
            submitted = row.submitted if isinstance(row.submitted, dict) else {}
            kind = str(submitted.get("type") or "")
            if kind not in TYPES:
                kind = infer_type(str(submitted.get("code") or ""), str(submitted.get("number") or ""))
            if kind not in TYPES:
                kind = row.invoice.type if row.invoice_id and row.outcome in REVEALING else ""
            if kind:
                row.invoice_type = kind
                changed.append(row)
        Verification.objects.bulk_update(changed, ["invoice_type"])


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0002_fewer_history_indexes"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="verification",
            name="invoice_type",
            field=models.CharField(blank=True, db_default="", default="", max_length=2),
        ),
        migrations.RunPython(fill_types, migrations.RunPython.noop, elidable=True),
    ]
