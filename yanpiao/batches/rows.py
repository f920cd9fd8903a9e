"""What a batch's input reader hands on: one row per invoice to verify, in input order.

The readers (:mod:`~yanpiao.batches.tables` for CSV, XLSX, XLS and JSON Lines;
:mod:`~yanpiao.batches.archives` for a ZIP of documents) refuse a file that cannot be a batch
with :class:`BatchRefused`, and turn every row they can read into an :class:`InputRow`.  A row
that is wrong (a date that is no date, a missing number) is still a row: verification makes it
``invalid`` with its reason, and the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The typed fields of a row, as the form and the API name them (Query.from_fields takes them).
FIELDS = ("type", "code", "number", "issue_date", "amount", "check_code", "total")


class BatchRefused(Exception):
    """The file is not a batch: ``reason`` is a code (``not_table``, ``missing_columns``,
    ``empty``, ``too_large``, ``unsafe``, ``unreadable``), ``message`` says what is wrong in words
    (Chinese and English, as the API's messages)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


# Not frozen: a frozen dataclass sets each field through object.__setattr__, a microsecond a row,
# a third of what reading a large CSV may spend on a row.  Rows are read-only all the same.
@dataclass(slots=True)
class InputRow:
    """One invoice to verify.

    ``number`` is its place in the input (1 for the first data row of a table; for a ZIP, the
    invoices in member order), ``fields`` the typed fields by the names in :data:`FIELDS`
    (normalised text: ``issue_date`` as ``YYYY-MM-DD`` when it could be read, codes with their
    leading zeros; a field the input lacks is ""), ``source`` where it came from (the sheet row
    or the ZIP member's name).  A row read from a document also carries what reading it found:
    ``document_findings`` (:class:`~yanpiao.fapiao.findings.Finding`), ``document`` (format and
    digest, as the history keeps it), the QR payload's ``signature`` status and the ``content``
    read (invoice JSON without what OCR read: :meth:`~yanpiao.intake.candidate.Candidate.content`),
    which verification compares with the registered invoice once the key matches
    (``Query.from_fields(content=row.content, **row.fields)``); a table row has none.
    """

    number: int
    fields: dict[str, str]
    source: str = ""
    document_findings: tuple[Any, ...] = field(default=())
    document: dict | None = None
    signature: str | None = None
    content: dict[str, Any] | None = None
