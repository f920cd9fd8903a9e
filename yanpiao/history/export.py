"""Exports of the history, CSV and XLSX, from one column list; every row the filter selects.

The rows are what the viewer may see, by the rules of :mod:`yanpiao.access.disclosure`: the
registered invoice (its total and seller) only where the outcome revealed it; its seller masked
for auditors and admins who see the row through their role alone; other people masked as
``disclosure.user_label`` shows them; differences by field name only.

Memory stays bounded whatever the number of rows: the rows are read with ``iterator`` in chunks
(a server-side cursor on PostgreSQL), the CSV is a generator of text a few dozen rows at a time,
and the XLSX is written by openpyxl in write-only mode (rows go to its temporary files, not into
a tree) into an anonymous temporary file that is then streamed (``Export.response``).

Cells that a spreadsheet would take for a formula (``=…``; in CSV also ``+ - @``, tab, CR) are
written as text: a seller's name or a typed invoice number cannot run in the reader's Excel.

Every export is audited (``history.export``, target the history table): the filters (a seller's
tax ID by its blind index), the format, the rows written and whether it ran to the end.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from yanpiao import spreadsheets
from yanpiao.access import disclosure
from yanpiao.access.visibility import in_own_history, is_staff
from yanpiao.accounts.models import User
from yanpiao.fapiao.compare import REVEALING
from yanpiao.history import services
from yanpiao.history.filters import HistoryFilter
from yanpiao.registry.models import Party
from yanpiao.security import audit
from yanpiao.verification.models import Verification
from yanpiao.verification.services import describe

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_SIZE = 2000  # rows fetched at a time
CSV_ROWS_PER_PIECE = 200  # rows per piece of text the CSV generator yields
XLSX_ROWS_PER_SHEET = 1_000_000  # a sheet holds 1,048,576 rows: more go on the next sheet
CACHED = 4096  # decrypted sellers and shown actors kept while exporting (bounded)

# The columns, in order: (name, 中文 label).  The header row gives the names.
COLUMNS = (
    ("id", "编号"),
    ("checked_at", "查验时间"),
    ("channel", "渠道"),
    ("outcome", "查验结果"),
    ("description", "说明"),
    ("type", "发票类型"),
    ("code", "发票代码"),
    ("number", "发票号码"),
    ("issue_date", "开票日期"),
    ("total", "价税合计"),
    ("seller_name", "销售方名称"),
    ("seller_tax_id", "销售方纳税人识别号"),
    ("differences", "不一致的字段"),
    ("actor", "查验人"),
)
HEADER = tuple(name for name, _ in COLUMNS)


class _Bounded(dict):
    """A dict that forgets everything once it holds :data:`CACHED` entries (memory stays bounded)."""

    def remember(self, key, value):
        if len(self) >= CACHED:
            self.clear()
        self[key] = value
        return value


@dataclass
class Export:
    """One export in progress: what it selects, and how many rows it has written."""

    viewer: Any
    history_filter: HistoryFilter
    format: str
    channel: str = "api"
    rows_written: int = 0

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    def filename(self, now: datetime.datetime | None = None) -> str:
        stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
        return f"yanpiao-history-{stamp}.{self.format}"

    def rows(self) -> Iterator[tuple]:
        """The selected rows as the viewer may see them, newest first (values typed: datetime,
        Decimal or text).  Plain values, no model per row: the sellers and actors of each chunk
        are loaded in one query each, and only those not met in earlier chunks."""
        values = (
            services.selected(self.viewer, self.history_filter)
            .order_by("-created_at", "-id")
            .values_list(*VALUES)
            .iterator(chunk_size=CHUNK_SIZE)
        )
        shown = Shown(self.viewer)
        while chunk := list(itertools.islice(values, CHUNK_SIZE)):
            shown.load(chunk)
            for row in chunk:
                yield shown.row(row)

    def audit(self, complete: bool) -> None:
        audit.record(
            audit.Action.HISTORY_EXPORT,
            self.viewer,
            audit.target(Verification),
            {
                "format": self.format,
                "channel": self.channel,
                "filters": self.history_filter.describe(),
                "rows": self.rows_written,
                "complete": complete,
            },
        )

    def _counted(self, rows: Iterable[tuple]) -> Iterator[tuple]:
        for row in rows:
            yield row
            self.rows_written += 1  # the writer came back for the next one: this one is written

    # --- CSV -----------------------------------------------------------------------------------

    def csv(self) -> Iterator[str]:
        """The CSV, a piece at a time: UTF-8 with a BOM (so Excel reads the Chinese), CRLF lines,
        the header row first.  Audited when the generator ends, however it ends (a client gone
        away closes it: ``complete`` false, and the rows handed out until then, an upper bound of
        what the client received)."""
        complete = False
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")
            writer.writerow(HEADER)
            pending = 0
            for row in self.rows():
                writer.writerow([_csv_text(value) for value in row])
                pending += 1
                if pending == CSV_ROWS_PER_PIECE:
                    self.rows_written += pending
                    pending = 0
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            self.rows_written += pending
            yield buffer.getvalue()
            complete = True
        finally:
            self.audit(complete)

    # --- XLSX ----------------------------------------------------------------------------------

    def response(self) -> HttpResponseBase:
        """The download, as every channel serves it: streamed, named, never cached."""
        if self.format == "csv":
            response = StreamingHttpResponse(self.csv(), content_type=self.content_type)
        else:
            response = FileResponse(self.xlsx(), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename()}"'
        response["Cache-Control"] = "no-store"
        return response

    def xlsx(self) -> IO[bytes]:
        """The workbook in an anonymous temporary file (gone once closed), positioned at its start;
        audited once written.  The caller streams and closes it."""
        # Not a context manager: the file outlives this call (the channel streams, then closes it).
        handle = tempfile.TemporaryFile(prefix="yanpiao-history-", suffix=".xlsx")  # noqa: SIM115
        complete = False
        try:
            write_xlsx(self._counted(self.rows()), handle)
            handle.seek(0)
            complete = True
        except BaseException:
            handle.close()
            raise
        finally:
            self.audit(complete)
        return handle


def write_xlsx(rows: Iterable[tuple], target: IO[bytes]) -> None:
    """``rows`` as an XLSX workbook (write-only: bounded memory), a sheet per million rows."""
    workbook = Workbook(write_only=True)
    sheet = None
    for count, row in enumerate(rows):
        if count % XLSX_ROWS_PER_SHEET == 0:
            sheet = _new_sheet(workbook, count // XLSX_ROWS_PER_SHEET)
        sheet.append([_xlsx_value(sheet, value) for value in row])
    if sheet is None:
        _new_sheet(workbook, 0)
    workbook.save(target)


def _new_sheet(workbook: Workbook, number: int):
    sheet = workbook.create_sheet("查验记录" if number == 0 else f"查验记录 {number + 1}")
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADER))
    return sheet


def _xlsx_value(sheet, value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel knows no time zones
    return spreadsheets.xlsx_value(sheet, value)


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return spreadsheets.csv_text(str(value))


# --- one row, as the viewer may see it ---------------------------------------------------------


# What the export reads of each verification (a values_list: one tuple per row).
VALUES = (
    "public_id", "created_at", "channel", "outcome", "invoice_type", "submitted", "differences",
    "actor_id", "invoice_id", "invoice__status", "invoice__total", "invoice__seller_id",
)  # fmt: skip


class Shown:
    """The export row of a verification as ``viewer`` sees it, by the rules of
    :mod:`yanpiao.access.disclosure` (its functions decide; this only caches their answers).

    Actors and sellers repeat across rows: each is loaded once per chunk at most, shown once, and
    kept (boundedly) for later chunks; a seller is decrypted only when shown.
    """

    def __init__(self, viewer):
        self.viewer = viewer
        self.staff = is_staff(viewer)
        self.parties = _Bounded()  # id → Party
        self.sellers = _Bounded()  # (id, masked) → (name, tax id) as shown
        self.actors = _Bounded()  # id → (label as shown, whether the row is in the viewer's own history)

    def load(self, chunk: list[tuple]) -> None:
        """Fetch the actors and sellers of ``chunk`` that are not known yet: two queries at most.
        Past :data:`CACHED` of either, the older ones are forgotten first (never those of ``chunk``)."""
        actor_ids = self._missing(self.actors, {row[ACTOR] for row in chunk if row[ACTOR] is not None})
        for actor_id, user in User.objects.in_bulk(actor_ids).items():
            # A stand-in verification of this actor asks the disclosure rules what the viewer sees.
            own = in_own_history(self.viewer, Verification(actor=user))
            self.actors[actor_id] = (disclosure.user_label(self.viewer, user), own)
        seller_ids = self._missing(self.parties, {row[SELLER] for row in chunk if row[SELLER] is not None})
        self.parties.update(Party.objects.only("name", "tax_id").in_bulk(seller_ids))

    @staticmethod
    def _missing(known: dict, needed: set) -> set:
        missing = needed - known.keys()
        if len(known) + len(missing) > CACHED:
            known.clear()
            return needed
        return missing

    def row(self, values: tuple) -> tuple:
        (public_id, created_at, channel, outcome, invoice_type, submitted, differences, actor_id,
         invoice_id, status, total, seller_id) = values  # fmt: skip
        submitted = submitted if isinstance(submitted, dict) else {}
        label, own = self.actors.get(actor_id, (disclosure.user_label(self.viewer, None), False))
        # disclosure.revealed_invoice: the registered invoice only after an outcome that revealed it.
        revealed = invoice_id is not None and outcome in REVEALING
        seller_name = seller_tax_id = None
        if revealed:
            seller_name, seller_tax_id = self.seller(seller_id, masked=self.staff and not own)
        return (
            str(public_id),
            created_at,
            channel,
            outcome,
            describe(outcome, status if revealed else None),
            invoice_type,
            str(submitted.get("code") or ""),
            str(submitted.get("number") or ""),
            str(submitted.get("issue_date") or ""),
            total if revealed else None,
            seller_name,
            seller_tax_id,
            ",".join(str(difference.get("field", "")) for difference in differences or ()),
            label,
        )

    def seller(self, party_id: int, masked: bool) -> tuple[str, str]:
        key = (party_id, masked)
        found = self.sellers.get(key)
        if found is None:
            party = self.parties[party_id]
            if masked:
                found = (disclosure.masked(party, "name"), disclosure.masked(party, "tax_id"))
            else:
                found = (party.name, party.tax_id)
            self.sellers.remember(key, found)
        return found


ACTOR, SELLER = VALUES.index("actor_id"), VALUES.index("invoice__seller_id")
