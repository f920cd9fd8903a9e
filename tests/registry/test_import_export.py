"""``import`` and ``export`` of invoice JSON through the registry services."""

import datetime
import functools
import io
import json
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command

from tests import factories
from yanpiao.demo.generator import generate
from yanpiao.fapiao.invoice import to_json
from yanpiao.registry import checking, jsonio, services
from yanpiao.registry.models import Invoice, Item, StatusChange
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


def jsonl(*records) -> io.StringIO:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return io.StringIO("\n".join(lines) + "\n")


def good(**fields) -> dict:
    return to_json(factories.invoice(**fields))


def test_every_good_line_is_stored_and_every_bad_line_reported():
    bad_uscc = good(type="32")
    bad_uscc["seller"]["tax_id"] = "91320621MA1MRHG207"
    bad_sum = good(type="32")
    bad_sum["total"] = "1.00"
    future = good(type="32", issue_date=datetime.date(2099, 1, 1))
    short = good(type="01")
    short["number"] = "1234567"
    unknown = {**good(type="32"), "colour": "red"}
    wrong_type = good(type="32")
    wrong_type["amount"] = 10.5
    stream = jsonl(
        good(type="32"), "{not json", unknown, wrong_type, bad_uscc, bad_sum, future, short, good(type="10")
    )
    report = services.import_file(stream)
    assert report.added == 2
    messages = {e.line: e.message for e in report.rejected}
    assert sorted(messages) == [2, 3, 4, 5, 6, 7, 8]
    assert "not valid JSON" in messages[2]
    assert "colour: unknown field" in messages[3]
    assert "amount" in messages[4] and "float" in messages[4]
    assert "seller.tax_id" in messages[5]
    assert "total" in messages[6]
    assert "future" in messages[7]
    assert "number" in messages[8]
    assert not report.ok
    assert Invoice.objects.count() == 2
    assert Item.objects.count() == 4  # nothing of a rejected line was written


def test_reimport_is_a_no_op_and_a_conflict_is_an_error():
    records = [good(type="32"), good(type="04"), good(type="01")]
    assert services.import_file(jsonl(*records)).added == 3
    again = services.import_file(jsonl(*records))
    assert (again.added, again.unchanged, again.ok) == (0, 3, True)
    changed = dict(records[1], drawer="李四")
    conflict = services.import_file(jsonl(changed))
    assert not conflict.ok and "different content" in conflict.rejected[0].message
    assert Invoice.objects.count() == 3


def test_conflict_inside_one_file():
    record = good(type="32")
    report = services.import_file(jsonl(record, dict(record, drawer="李四")))
    assert (report.added, len(report.rejected)) == (1, 1)
    assert "earlier in this file" in report.rejected[0].message


def test_json_array_files_are_read_by_position():
    stream = io.StringIO(json.dumps([good(type="32"), {"type": "32"}], ensure_ascii=False))
    report = services.import_file(stream)
    assert report.added == 1
    assert report.rejected[0].line == 2 and "required" in report.rejected[0].message


def test_red_letter_pairs_in_one_file_apply_in_order():
    original = factories.invoice(type="32")
    red = factories.red_letter(original)
    report = services.import_file(jsonl(to_json(original), to_json(red)))
    assert report.ok and report.added == 2
    assert services.find_row(original.key).status == "red_flushed"


def test_red_letter_without_original_is_rejected():
    red = factories.red_letter(factories.invoice(type="32"))
    report = services.import_file(jsonl(to_json(red)))
    assert "not in the registry" in report.rejected[0].message


def test_status_in_the_file_updates_a_normal_invoice_only():
    record = good(type="32")
    services.import_file(jsonl(record))
    report = services.import_file(jsonl(dict(record, status="voided")))
    assert (report.updated, report.ok) == (1, True)
    row = Invoice.objects.get(number=record["number"])
    assert row.status == "voided"
    report = services.import_file(jsonl(dict(record, status="abnormal")))
    assert not report.ok and "voided in the registry" in report.rejected[0].message


def test_export_then_import_round_trips_into_an_empty_registry():
    original = factories.invoice(type="32")
    invoices = [
        original,
        factories.red_letter(original),
        factories.invoice(type="10"),
        factories.invoice(type="01"),
    ]
    services.import_file(jsonl(*[to_json(i) for i in invoices]))
    services.void(invoices[2].key)
    exported = io.StringIO()
    assert services.export_file(exported) == 4
    text = exported.getvalue()
    Item.objects.all().delete()
    Invoice.objects.filter(red_letter_of__isnull=False).delete()
    Invoice.objects.all().delete()
    report = services.import_file(io.StringIO(text))
    assert report.ok and report.added == 4
    again = io.StringIO()
    services.export_file(again)
    assert again.getvalue() == text
    # and the export of an unchanged registry re-imports as a no-op
    assert services.import_file(io.StringIO(text)).unchanged == 4


def test_export_as_array_parses_back():
    services.register(factories.invoice(type="32"))
    out = io.StringIO()
    services.export_file(out, fmt="json")
    [record] = json.loads(out.getvalue())
    assert record["type"] == "32"
    assert [r.parse().data for r in jsonio.read_records(io.StringIO(out.getvalue()))] == [record]


def test_workers_check_a_big_file_with_the_same_result(monkeypatch):
    monkeypatch.setattr(checking, "IN_PROCESS_FIRST", 4)
    monkeypatch.setattr(checking, "CHUNK", 3)
    end = datetime.date(2026, 6, 30)
    invoices = list(generate(60, seed=8, end_date=end))
    lines = [jsonio.dumps(invoice) for invoice in invoices]
    lines.insert(9, "{broken")
    lines.insert(30, json.dumps({"type": "32"}))
    report = services.import_file(io.StringIO("\n".join(lines) + "\n"), on=end, workers=2)
    assert report.added == 60
    assert [e.line for e in report.rejected] == [10, 31]
    assert "not valid JSON" in report.rejected[0].message
    assert "required field is missing" in report.rejected[1].message
    exported = io.StringIO()
    services.export_file(exported)
    assert sorted(exported.getvalue().splitlines()) == sorted(jsonio.dumps(invoice) for invoice in invoices)


def test_two_partial_reversals_in_one_file_flush_the_original():
    original = factories.invoice(type="32")
    halves = [factories.red_letter(original, Decimal("0.5")) for _ in range(2)]
    report = services.import_file(jsonl(*[to_json(i) for i in (original, *halves)]))
    assert report.ok and report.added == 3
    row = services.find_row(original.key)
    assert row.status == "red_flushed"
    assert [(c.previous_status, c.status) for c in row.status_changes.all()] == [("normal", "red_flushed")]
    third = factories.red_letter(original, Decimal("0.5"))
    report = services.import_file(jsonl(to_json(third)))
    assert "reverses more than the remaining 0.00" in report.rejected[0].message


def test_an_abnormal_original_can_be_reversed_and_keeps_its_flag():
    original = factories.invoice(type="32")
    services.import_file(jsonl(dict(to_json(original), status="abnormal")))
    report = services.import_file(jsonl(to_json(factories.red_letter(original))))
    assert report.ok and report.added == 1
    assert services.find_row(original.key).status == "abnormal"


def test_an_invoice_imported_with_a_status_has_that_change_in_its_history():
    record = dict(good(type="32"), status="voided")
    services.import_file(jsonl(record))
    [change] = StatusChange.objects.filter(invoice__number=record["number"])
    assert (change.previous_status, change.status, change.reason) == ("normal", "voided", "imported")


def test_an_invoice_imported_with_spaced_or_full_width_identifiers_verifies(db):
    from tests.factories import key_query
    from yanpiao.verification.services import verify

    invoice = factories.invoice(type="10")
    record = to_json(invoice)
    record["code"] = " ".join(invoice.code[i : i + 4] for i in range(0, 12, 4))
    record["number"] = invoice.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    record["check_code"] = " ".join(invoice.check_code[i : i + 5] for i in range(0, 20, 5))
    report = services.import_file(io.StringIO(json.dumps(record, ensure_ascii=False)))
    assert report.added == 1, report.rejected
    assert verify(key_query(invoice)).outcome == "authentic"


def test_a_line_with_a_huge_exponent_is_reported_and_the_others_go_in():
    huge = good(type="32")
    huge["total"] = "1E+999999999"
    amount = good(type="32")
    amount["amount"] = "-1E999999999999999999"
    report = services.import_file(jsonl(good(type="32"), huge, amount, good(type="10")))
    assert report.added == 2
    assert {e.line: e.message.split(":")[0] for e in report.rejected} == {2: "total", 3: "amount"}


# --- what is audited when an export or an import stops early (issue 9) ---------------------------


class ClosedAfter(io.StringIO):
    """A reader that goes away (``yanpiao export | head -n 3``) after ``lines`` lines."""

    def __init__(self, lines: int):
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if self.left == 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= text.count("\n")
        return super().write(text)


def last_entries(action, count=10):
    return [entry for entry in audit.tail(count) if entry.action == action]


def test_an_export_cut_short_is_audited_with_what_was_written():
    for _ in range(5):
        services.register(factories.invoice(type="32"))
    stream = ClosedAfter(3)
    with pytest.raises(BrokenPipeError):
        services.export_file(stream, status="normal")
    assert len(stream.getvalue().splitlines()) == 3
    [entry] = last_entries("registry.export")
    assert entry.detail == {"invoices": 3, "status": "normal", "complete": False}


def test_the_export_command_audits_an_export_cut_short(monkeypatch):
    for _ in range(4):
        services.register(factories.invoice(type="10"))
    monkeypatch.setattr(sys, "stdout", ClosedAfter(2))
    with pytest.raises(BrokenPipeError):
        call_command("export")
    [entry] = last_entries("registry.export")
    assert entry.detail == {"invoices": 2, "status": "any", "complete": False}


def test_a_finished_export_is_audited_as_complete():
    services.register(factories.invoice(type="32"))
    assert services.export_file(io.StringIO()) == 1
    [entry] = last_entries("registry.export")
    assert entry.detail == {"invoices": 1, "status": "any", "complete": True}


class KilledAfter(io.StringIO):
    """An import file whose reading process is killed after ``lines`` lines."""

    def __init__(self, text: str, lines: int):
        super().__init__(text)
        self.left = lines

    def readline(self, *args) -> str:
        if self.left == 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().readline(*args)


def test_each_committed_batch_of_an_import_is_audited_even_when_it_is_killed(monkeypatch):
    monkeypatch.setattr(services, "Importer", functools.partial(services.Importer, batch_size=2))
    monkeypatch.setattr(checking, "IN_PROCESS_FIRST", 1)
    records = [good(type="32") for _ in range(7)]
    services.register(factories.invoice(type="32"))  # something before, to tell it apart
    with pytest.raises(KeyboardInterrupt):
        services.import_file(KilledAfter(jsonl(*records).getvalue(), 5), workers=0)
    assert Invoice.objects.count() == 1 + 4  # two batches of two were committed
    batches = last_entries("registry.register_bulk")
    assert [entry.detail for entry in batches] == [{"invoices": 2, "updated": 0, "reason": "import"}] * 2
    assert last_entries("registry.import") == []


def test_an_import_audits_its_batches_then_its_end(monkeypatch):
    monkeypatch.setattr(services, "Importer", functools.partial(services.Importer, batch_size=2))
    records = [good(type="32") for _ in range(3)]
    report = services.import_file(jsonl(*records, records[0]), workers=0)
    assert (report.added, report.unchanged) == (3, 1)
    entries = [e for e in audit.tail(5) if e.action.startswith("registry.")]
    assert [(e.action, e.detail) for e in entries] == [
        ("registry.register_bulk", {"invoices": 2, "updated": 0, "reason": "import"}),
        ("registry.register_bulk", {"invoices": 1, "updated": 0, "reason": "import"}),
        ("registry.import", {"added": 3, "unchanged": 1, "updated": 0, "rejected": 0}),
    ]
    # a batch that changes nothing leaves no batch entry
    services.import_file(jsonl(*records), workers=0)
    assert [e.action for e in audit.tail(1)] == ["registry.import"]
