"""The pure comparison of a query with the registered invoice (docs/architecture.md, outcomes)."""

import dataclasses
from decimal import Decimal

import pytest

from yanpiao.fapiao import compare
from yanpiao.fapiao.compare import Query, check_code_matches
from yanpiao.fapiao.invoice import Party, to_json

from .conftest import build_invoice, line

DIGITAL = build_invoice("32")
ORDINARY = build_invoice("10")
SPECIAL = build_invoice("01")


def key_fields(invoice, **overrides):
    fields = {"code": invoice.code, "number": invoice.number, "issue_date": invoice.issue_date.isoformat()}
    return {**fields, **overrides}


def full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@pytest.mark.parametrize(
    ("registered", "extra"),
    [
        (DIGITAL, {"total": str(DIGITAL.total)}),
        (ORDINARY, {"check_code": ORDINARY.check_code[-6:]}),
        (ORDINARY, {"check_code": ORDINARY.check_code}),
        (ORDINARY, {"amount": str(ORDINARY.amount)}),
        (SPECIAL, {"amount": str(SPECIAL.amount)}),
        (SPECIAL, {"amount": str(SPECIAL.amount), "total": str(SPECIAL.total), "type": "01"}),
    ],
)
def test_authentic(registered, extra):
    result = compare.compare(Query.from_fields(**key_fields(registered, **extra)), registered)
    assert result.outcome == compare.AUTHENTIC
    assert result.differences == ()
    assert result.reveals_invoice


def test_amounts_compare_as_decimals():
    registered = build_invoice("01", lines=(line("57.00", "0.13"),))
    for typed in ("57", "57.0", "57.00", "５７"):
        assert (
            compare.compare(Query.from_fields(**key_fields(registered, amount=typed)), registered).outcome
            == "authentic"
        )
    assert (
        compare.compare(Query.from_fields(**key_fields(registered, amount="57.01")), registered).outcome
        == "mismatch"
    )


def test_full_width_digits_and_spaces():
    fields = {name: full_width(value) for name, value in key_fields(ORDINARY, check_code="227 858").items()}
    registered = ORDINARY.replace(check_code="48987406241857227858")
    assert "０" in fields["code"]
    assert compare.compare(Query.from_fields(**fields), registered).outcome == "authentic"


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"issue_date": "2025-03-08", "total": str(DIGITAL.total)}, ["issue_date"]),
        ({"total": "10.71"}, ["total"]),
        ({"total": str(DIGITAL.total), "amount": "1.00"}, ["amount"]),
        ({"total": str(DIGITAL.total), "type": "31"}, ["type"]),
        ({"total": "1.00", "issue_date": "2025-03-06", "type": "31"}, ["issue_date", "total", "type"]),
    ],
)
def test_mismatch_names_fields_and_reveals_nothing(extra, fields):
    result = compare.compare(Query.from_fields(**key_fields(DIGITAL, **extra)), DIGITAL)
    assert result.outcome == compare.MISMATCH
    assert [d.field for d in result.differences] == fields
    assert all(d.registered is None for d in result.differences)
    assert not result.reveals_invoice
    assert str(DIGITAL.total) not in repr(result)


@pytest.mark.parametrize(
    ("submitted", "registered", "matches"),
    [
        ("227858", "48987406241857227858", True),
        ("48987406241857227858", "48987406241857227858", True),
        ("227859", "48987406241857227858", False),
        ("27858", "48987406241857227858", False),  # 5 characters only for blockchain codes
        ("7406241857227858", "48987406241857227858", False),
        ("48987406241857227859", "48987406241857227858", False),
        ("4c1a1", "4C1A1", True),
        ("4c1a2", "4c1a1", False),
        ("227858", "", False),
        ("", "48987406241857227858", False),
    ],
)
def test_check_code_matches(submitted, registered, matches):
    assert check_code_matches(submitted, registered) is matches


def test_check_code_mismatch():
    result = compare.compare(Query.from_fields(**key_fields(ORDINARY, check_code="000000")), ORDINARY)
    assert result.outcome == "mismatch" and [d.field for d in result.differences] == ["check_code"]
    assert result.differences[0].submitted == "000000"


def test_check_code_against_an_invoice_that_prints_none_is_a_mismatch():
    result = compare.compare(Query.from_fields(**key_fields(SPECIAL, check_code="123456")), SPECIAL)
    assert result.outcome == "mismatch"


def test_every_supplied_key_field_must_match():
    query = Query.from_fields(**key_fields(ORDINARY, check_code=ORDINARY.check_code[-6:], amount="1.00"))
    result = compare.compare(query, ORDINARY)
    assert result.outcome == "mismatch" and [d.field for d in result.differences] == ["amount"]


def test_document_content_that_differs_is_tampered():
    document = DIGITAL.replace(buyer=Party(name="别人", tax_id=DIGITAL.buyer.tax_id), remarks="加急")
    result = compare.compare(Query.from_invoice(document), DIGITAL)
    assert result.outcome == compare.TAMPERED
    assert result.reveals_invoice
    assert {d.field: (d.submitted, d.registered) for d in result.differences} == {
        "buyer.name": ("别人", DIGITAL.buyer.name),
        "remarks": ("加急", ""),
    }


def test_tampered_items_show_both_values():
    first = DIGITAL.items[0]
    changed = dataclasses.replace(first, name="*服务*咨询费", tax=first.tax + Decimal("0.01"))
    document = DIGITAL.replace(items=(changed, *DIGITAL.items[1:]))
    result = compare.compare(Query.from_invoice(document), DIGITAL)
    assert result.outcome == "tampered"
    shown = {d.field: (d.submitted, d.registered) for d in result.differences}
    assert shown["items[0].name"] == ("*服务*咨询费", first.name)
    assert shown["items[0].tax"] == (str(first.tax + Decimal("0.01")), str(first.tax))


def test_missing_item_lines_are_a_difference():
    document = DIGITAL.replace(items=DIGITAL.items[:1])
    result = compare.compare(Query.from_invoice(document), DIGITAL)
    assert result.outcome == "tampered"
    assert ("items", 1, 2) in {(d.field, d.submitted, d.registered) for d in result.differences}


def test_fields_the_document_does_not_show_are_not_differences():
    document = DIGITAL.replace(buyer=Party(), items=(), drawer="", total_in_words="")
    assert compare.compare(Query.from_invoice(document), DIGITAL).outcome == "authentic"


def test_words_compare_folded():
    document = DIGITAL.replace(total_in_words=DIGITAL.total_in_words.replace("圆", "元"))
    assert compare.compare(Query.from_invoice(document), DIGITAL).outcome == "authentic"


def test_document_whose_key_fields_differ_is_a_mismatch():
    document = DIGITAL.replace(total=DIGITAL.total + 1, buyer=Party(name="别人"))
    result = compare.compare(Query.from_invoice(document), DIGITAL)
    assert result.outcome == "mismatch"
    assert [d.field for d in result.differences] == ["total"]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("voided", "voided"), ("red_flushed", "red_flushed"), ("partially_red_flushed", "red_flushed"),
     ("abnormal", "abnormal"), ("normal", "authentic")],
)  # fmt: skip
def test_status_outcomes(status, outcome):
    registered = DIGITAL.replace(status=status)
    result = compare.compare(
        Query.from_fields(**key_fields(registered, total=str(registered.total))), registered
    )
    assert result.outcome == outcome
    assert result.reveals_invoice


def test_status_outcome_keeps_content_differences():
    registered = DIGITAL.replace(status="voided")
    result = compare.compare(Query.from_invoice(registered.replace(remarks="x", status="normal")), registered)
    assert result.outcome == "voided"
    assert [d.field for d in result.differences] == ["remarks"]


def test_status_does_not_hide_a_key_mismatch():
    registered = DIGITAL.replace(status="voided")
    result = compare.compare(Query.from_fields(**key_fields(registered, total="1.00")), registered)
    assert result.outcome == "mismatch"


def test_outcome_constants():
    assert set(compare.OUTCOMES) == {
        "authentic", "tampered", "mismatch", "not_found", "voided", "red_flushed", "abnormal", "invalid",
    }  # fmt: skip
    assert {"authentic", "tampered", "voided", "red_flushed", "abnormal"} == compare.REVEALING
    assert not compare.Comparison(compare.NOT_FOUND).reveals_invoice
    assert not compare.Comparison(compare.INVALID).reveals_invoice


def test_query_type_is_given_or_inferred():
    assert Query.from_fields(code="011001605111", number="12345678").type_code == "10"
    assert Query.from_fields(code="011001605111", number="12345678", type="04").type_code == "04"
    assert Query.from_fields(number="26427000000375586818").type_code == ""


def test_query_to_json_leaves_out_empty_fields():
    query = Query.from_fields(
        number=" 2642 7000 0003 7558 6818", issue_date="2026-04-30", total="10.70", code=""
    )
    assert query.to_json() == {"number": "26427000000375586818", "issue_date": "2026-04-30", "total": "10.70"}


def test_query_from_invoice_carries_every_key_field():
    query = Query.from_invoice(ORDINARY)
    assert (query.code, query.number, query.check_code, query.type) == (
        ORDINARY.code,
        ORDINARY.number,
        ORDINARY.check_code,
        "10",
    )
    assert query.amount == str(ORDINARY.amount) and query.total == str(ORDINARY.total)
    assert query.content == to_json(ORDINARY)


def test_difference_to_json():
    assert compare.Difference("total", "1.00").to_json() == {
        "field": "total",
        "submitted": "1.00",
        "registered": None,
    }
