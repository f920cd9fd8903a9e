"""Batch files as a browser or an app uploads them, for the channels' tests."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from yanpiao.batches.rows import FIELDS

# An invoice nobody registered, as a row of typed fields.
NOT_REGISTERED = {"number": "26112000000099999999", "issue_date": "2025-03-07", "total": "10.00"}


def csv_file(rows, name="三月发票.csv") -> SimpleUploadedFile:
    """A CSV upload with a row per query (a ``Query`` or a dict of fields)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(FIELDS)
    for row in rows:
        fields = row if isinstance(row, dict) else row.to_json()
        writer.writerow([fields.get(name, "") for name in FIELDS])
    return SimpleUploadedFile(name, text.getvalue().encode(), "text/csv")
