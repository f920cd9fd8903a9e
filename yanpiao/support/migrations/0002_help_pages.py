"""The initial help pages (FAQ and guides, Chinese and English) from ``support/content/help_pages.json``.

Reversible: going back removes the pages of those slugs (edited or not).
"""

import json
from pathlib import Path

from django.db import migrations

PAGES = Path(__file__).resolve().parents[1] / "content" / "help_pages.json"


def pages() -> list[dict]:
    return json.loads(PAGES.read_text(encoding="utf-8"))


def seed(apps, schema_editor):
    HelpPage = apps.get_model("support", "HelpPage")
    existing = set(HelpPage.objects.values_list("slug", flat=True))
    HelpPage.objects.bulk_create(HelpPage(**fields) for fields in pages() if fields["slug"] not in existing)


def unseed(apps, schema_editor):
    HelpPage = apps.get_model("support", "HelpPage")
    HelpPage.objects.filter(slug__in=[fields["slug"] for fields in pages()]).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
