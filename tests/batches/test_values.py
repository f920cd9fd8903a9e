"""A row's values as the core reads them: dates as YYYY-MM-DD, codes with their leading zeros,
amounts without binary noise, anything unreadable as it was typed."""

import datetime
from decimal import Decimal

import pytest

from yanpiao.batches.values import cell_of, issue_date, row_fields, text_of


@pytest.mark.parametrize(
    "typed",
    ["2025-03-01", "20250301", "2025/3/1", "2025/03/01", "2025.3.1", "2025年03月01日", "2025年3月1日",
     "2025-3-1", " 2025-03-01 ", "２０２５年３月１日", "2025-03-01 09:38:46", "2025/3/1 9:38"],
)  # fmt: skip
def test_the_date_forms_people_type_become_iso_dates(typed):
    assert issue_date(typed) == "2025-03-01"


@pytest.mark.parametrize("typed", ["2025-02-30", "3/1/2025", "25/3/1", "昨天", "45717", "2025-13-01x"])
def test_an_unreadable_date_stays_as_typed(typed):
    assert issue_date(typed) == typed


def test_a_spreadsheets_date_cell_is_a_date_and_a_day_count_is_not():
    assert cell_of("issue_date", datetime.date(2025, 3, 1)) == "2025-03-01"
    assert cell_of("issue_date", datetime.datetime(2025, 3, 1, 10, 30)) == "2025-03-01"
    assert cell_of("issue_date", 20250301) == "2025-03-01"  # digits stored as a number
    assert cell_of("issue_date", 45717.0) == "45717"  # a serial day number: no date


@pytest.mark.parametrize(
    "name, stored, expected",
    [
        ("code", 1100244320.0, "1100244320"),  # 10 digits start with their region: no zero lost
        ("code", 11001605111.0, "011001605111"),  # a 12-digit code starting with 0
        ("code", 144031909110, "144031909110"),
        ("number", 1897389, "01897389"),
        ("number", 12345.0, "00012345"),
        ("number", 24112000000048542163, "24112000000048542163"),  # an exact integer (JSON)
        ("check_code", 27858, "027858"),  # the last six, a zero lost
        ("check_code", 227858, "227858"),
        ("check_code", 8987406241857227858, "08987406241857227858"),  # all twenty, a zero lost
        ("type", 1, "01"),
        ("type", 32.0, "32"),
    ],
)
def test_identifiers_stored_as_numbers_get_back_their_leading_zeros(name, stored, expected):
    assert cell_of(name, stored) == expected


def test_a_blockchain_invoices_five_character_check_code_is_not_padded():
    assert cell_of("check_code", 12345, code="144031909110") == "12345"
    assert row_fields(["code", "check_code"], [144031909110, 12345])["check_code"] == "12345"


def test_a_huge_json_number_is_not_written_out():
    assert cell_of("number", Decimal("1E+999999")) == "1E+999999"


def test_a_number_too_long_for_a_float_keeps_the_floats_form_and_is_not_made_up():
    # Excel keeps 15 significant digits: the last ones of a 20-digit number are gone.
    assert cell_of("number", 2.411200000004854e19) == "2.411200000004854e+19"
    assert cell_of("number", 1.5) == "1.5"


@pytest.mark.parametrize(
    "stored, expected",
    [(3460.48, "3460.48"), (0.1 + 0.2, "0.30000000000000004"), (5000.0, "5000"), (5000, "5000"),
     (Decimal("57.50"), "57.50"), (1e-05, "0.00001"), (float("nan"), "nan"),
     (Decimal("1E+999999"), "1E+999999"), (1e-300, "1E-300")],
)  # fmt: skip
def test_amounts_stored_as_numbers_are_plain_decimal_text(stored, expected):
    assert cell_of("amount", stored) == expected


def test_text_is_trimmed_and_full_width_characters_are_folded():
    assert text_of("number", " ０１８９７３８９ ") == "01897389"
    assert text_of("code", "0110 0160 5111") == "011001605111"
    assert text_of("amount", "￥3,460.48") == "¥3,460.48"  # the core reads the yuan sign and commas
    assert text_of("check_code", "48987406241857227858") == "48987406241857227858"  # as typed: all 20


def test_a_type_written_as_its_name_becomes_its_code():
    assert text_of("type", "增值税专用发票") == "01"
    assert text_of("type", "电子发票(普通发票)") == "32"
    assert text_of("type", "Special VAT invoice") == "01"
    assert text_of("type", "专票") == "专票"  # no such name: as typed, verification says so


def test_a_row_without_any_value_is_blank():
    assert row_fields(["number", "issue_date"], ["", ""]) is None
    assert row_fields(["number", "issue_date"], [" ", None]) is None
    assert row_fields(["number", "issue_date"], ["12345678", ""]) == {
        "type": "", "code": "", "number": "12345678", "issue_date": "", "amount": "", "check_code": "",
        "total": "",
    }  # fmt: skip


def test_plain_ascii_rows_and_others_give_the_same_fields():
    names = ["code", "number", "issue_date", "amount"]
    plain = row_fields(names, ["011001605111", "01897389", "20250301", "3460.48"])
    folded = row_fields(names, ["０１１００１６０５１１１", " 01897389", "2025年3月1日", 3460.48])
    assert plain == folded
