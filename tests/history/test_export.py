"""History exports: CSV and XLSX from one column list, every selected row, shown as the viewer may
see it, formulas neutralised, audited however the export ends."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.history import scene as scenes
from yanpiao.access.masking import mask
from yanpiao.history import export
from yanpiao.history.filters import HistoryFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(register, make_user):
    return scenes.build(register, make_user)


def csv_rows(job: export.Export) -> list[dict]:
    text = "".join(job.csv())
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def xlsx_rows(job: export.Export) -> list[dict]:
    with job.xlsx() as handle:
        data = handle.read()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    found = []
    for sheet in workbook.worksheets:
        header, *rows = list(sheet.iter_rows(values_only=True))
        assert header == export.HEADER
        found += [dict(zip(header, row, strict=True)) for row in rows]
    workbook.close()
    return found


def by_id(rows, scene) -> dict[str, dict]:
    names = {public_id: name for name, public_id in scene.ids.items()}
    return {names[row["id"]]: row for row in rows}


def test_csv_holds_every_row_the_filter_selects_as_the_actor_sees_them(scene):
    rows = csv_rows(export.Export(scene.actor, HistoryFilter(), "csv"))
    assert {row["id"] for row in rows} == scene.the_actors()
    assert list(rows[0]) == list(export.HEADER)
    assert [row["checked_at"] for row in rows] == sorted((row["checked_at"] for row in rows), reverse=True)
    shown = by_id(rows, scene)
    authentic = shown["authentic"]
    assert (authentic["outcome"], authentic["channel"], authentic["type"]) == ("authentic", "api", "32")
    assert authentic["number"] == scene.digital.number and authentic["issue_date"] == "2025-03-07"
    assert authentic["total"] == str(scene.digital.total)
    assert (authentic["seller_name"], authentic["seller_tax_id"]) == (
        factories.SELLER.name,
        factories.SELLER.tax_id,
    )
    assert authentic["actor"] == "赵敏"  # the actor themselves, in full
    assert authentic["description"].startswith("查验一致")
    # A mismatch reveals nothing of the registered invoice: no total, no seller; the field names.
    mismatch = shown["mismatch"]
    assert (mismatch["total"], mismatch["seller_name"], mismatch["seller_tax_id"]) == ("", "", "")
    assert mismatch["differences"] == "amount"
    # A colleague's check: the colleague masked; the voided invoice's seller in full (own history).
    voided = shown["voided"]
    assert voided["actor"] == mask("钱进", "name")
    assert voided["seller_name"] == scenes.OTHER_SELLER.name
    assert voided["description"].startswith("已作废")
    # What a verifier typed cannot become a formula in the reader's spreadsheet.
    assert shown["invalid"]["number"] == "'=HYPERLINK(1)"


def test_an_auditor_sees_everyones_rows_with_parties_and_people_masked(scene):
    rows = by_id(csv_rows(export.Export(scene.auditor, HistoryFilter(), "csv")), scene)
    assert set(rows) == set(scene.ids)
    assert rows["authentic"]["seller_name"] == mask(factories.SELLER.name, "name")
    assert rows["authentic"]["seller_tax_id"] == mask(factories.SELLER.tax_id, "tax_id")
    assert rows["authentic"]["total"] == str(scene.digital.total)
    assert rows["outsider"]["actor"] == mask("孙立", "name")
    assert rows["mismatch"]["seller_name"] == ""


def test_the_filters_apply_to_the_export(scene):
    chosen = HistoryFilter.parse({"seller_tax_id": scenes.OTHER_SELLER.tax_id})
    assert [row["id"] for row in csv_rows(export.Export(scene.actor, chosen, "csv"))] == [scene.ids["voided"]]


def test_xlsx_opens_and_holds_every_row_with_typed_cells(scene):
    rows = by_id(xlsx_rows(export.Export(scene.auditor, HistoryFilter(), "xlsx")), scene)
    assert set(rows) == set(scene.ids)
    assert rows["authentic"]["total"] == pytest.approx(float(scene.digital.total))
    assert isinstance(rows["authentic"]["checked_at"], datetime.datetime)
    assert rows["invalid"]["number"] == "=HYPERLINK(1)"  # kept as typed, but as text:
    with export.Export(scene.auditor, HistoryFilter(), "xlsx").xlsx() as handle:
        sheet = zipfile.ZipFile(handle).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"HYPERLINK" in sheet


def test_an_empty_selection_is_a_header_alone(scene):
    nothing = HistoryFilter.parse({"outcome": "abnormal"})
    assert csv_rows(export.Export(scene.actor, nothing, "csv")) == []
    assert xlsx_rows(export.Export(scene.actor, nothing, "xlsx")) == []


def test_rows_come_in_chunks_and_sheets_split_yet_every_row_is_there(scene, monkeypatch):
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    monkeypatch.setattr(export, "CSV_ROWS_PER_PIECE", 2)
    monkeypatch.setattr(export, "XLSX_ROWS_PER_SHEET", 4)
    job = export.Export(scene.auditor, HistoryFilter(), "csv")
    pieces = list(job.csv())
    assert len(pieces) >= 3 and job.rows_written == 6
    rows = xlsx_rows(export.Export(scene.auditor, HistoryFilter(), "xlsx"))  # 2 sheets: 4 rows, 2 rows
    assert len(rows) == 6 and {row["id"] for row in rows} == scene.everyone()


def test_every_export_is_audited_however_it_ends(scene, audit_events, monkeypatch):
    monkeypatch.setattr(export, "CSV_ROWS_PER_PIECE", 2)
    chosen = HistoryFilter.parse({"outcome": "authentic,voided", "seller_tax_id": factories.SELLER.tax_id})
    "".join(export.Export(scene.actor, chosen, "csv").csv())
    export.Export(scene.actor, HistoryFilter(), "xlsx").xlsx().close()
    stream = export.Export(scene.auditor, HistoryFilter(), "csv", channel="cli").csv()
    next(stream)  # the header and two rows … and the reader goes away
    stream.close()
    entries = [event for event in audit_events if event["action"] == "history.export"]
    assert [(e["detail"]["format"], e["detail"]["rows"], e["detail"]["complete"]) for e in entries] == [
        ("csv", 1, True),
        ("xlsx", 5, True),
        ("csv", 2, False),
    ]
    assert entries[0]["target"] == "verification.verification"
    assert entries[0]["detail"]["filters"]["outcome"] == "authentic,voided"
    assert factories.SELLER.tax_id not in str(entries)
    assert entries[2]["detail"]["channel"] == "cli"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        export.Export(None, HistoryFilter(), "pdf")


def test_csv_writes_amounts_plainly_and_neutralises_every_formula_start():
    assert export._csv_text(Decimal("-12.50")) == "-12.50"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert export._csv_text(f"{start}1") == f"'{start}1"
    assert export._csv_text(None) == ""
