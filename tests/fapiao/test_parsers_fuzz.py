"""Arbitrary text into the amount, date and identifier parsers: a value or a documented error.

Every parser of typed or read input either answers or raises the one error its docstring names
(``InvoiceFormatError``, a ``stdnum`` ``ValidationError``, ``QrFormatError``); a whole query of
arbitrary fields gives findings, never an exception.
"""

import contextlib
import datetime
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError

from tests import factories
from yanpiao.fapiao import check_code, code, compare, number, qr, uscc, validation
from yanpiao.fapiao.invoice import MAX_AMOUNT, InvoiceFormatError, parse_date, parse_decimal

HOSTILE_NUMBERS = [
    "1E+999999999",
    "-1E+999999999",
    "1E999999999999999999",
    "NaN",
    "-Infinity",
    "1_000",
    "١٢٣",
]

numberish = st.one_of(
    st.text(),
    st.from_regex(r"[+-]?[0-9,¥￥ .eE_+-]{0,30}", fullmatch=True),
    st.sampled_from(HOSTILE_NUMBERS),
)
dateish = st.one_of(
    st.text(), st.from_regex(r"[0-9]{2,5}[-年]?[0-9]{1,3}[-月]?[0-9]{1,3}日?", fullmatch=True)
)
digitish = st.one_of(st.text(), st.from_regex(r"[0-9 ]{0,24}", fullmatch=True))


@settings(max_examples=400)
@given(numberish, st.booleans())
@example("1E+999999999", True)
@example("-1E999999999999999999", False)
def test_an_amount_is_a_plain_decimal_in_range_or_a_format_error(text, places):
    try:
        value = parse_decimal(text, "amount", places=places)
    except InvoiceFormatError as exc:
        assert exc.field == "amount" and len(exc.message) < 120
    else:
        assert isinstance(value, Decimal) and value.is_finite() and abs(value) < MAX_AMOUNT


@settings(max_examples=300)
@given(dateish)
def test_a_date_is_a_day_or_a_format_error(text):
    with contextlib.suppress(InvoiceFormatError):
        assert isinstance(parse_date(text), datetime.date)


@settings(max_examples=300)
@given(digitish)
def test_codes_and_numbers_are_valid_or_a_validation_error(text):
    for module in (code, number, check_code):
        assert isinstance(module.compact(text), str)
    for validate in (code.validate, code.parse, number.validate, check_code.validate_query, uscc.validate):
        with contextlib.suppress(ValidationError):
            validate(text)
    code.infer_type(text, text)
    code.scheme_warnings(text, datetime.date(2026, 5, 1))


@settings(max_examples=300)
@given(st.text())
def test_a_qr_payload_parses_or_is_a_qr_format_error(text):
    with contextlib.suppress(qr.QrFormatError):
        qr.parse(text)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {"code": digitish, "number": digitish, "issue_date": dateish, "check_code": digitish},
        optional={"amount": numberish, "total": numberish, "type": st.text(max_size=3)},
    )
)
@example({"code": "", "number": "26427000000375586818", "issue_date": "2026-04-30", "total": "1E+999999999"})
def test_a_query_of_arbitrary_fields_gives_findings_not_exceptions(fields):
    query = compare.Query.from_fields(**fields)
    findings = validation.validate_query(query, datetime.date(2026, 5, 1))
    assert all(f.message for f in findings)


REGISTERED = factories.invoice(type="32", issue_date=datetime.date(2026, 4, 30))


@settings(max_examples=300)
@given(numberish, dateish, st.text())
@example("1E+999999999%", "2026-02-30", "")
@example("-1E999999999999999999", "2026年13月01日", "某某公司")
def test_comparing_read_fields_with_the_registry_lists_differences(number_text, date_text, name):
    read = {
        "total": number_text,
        "issue_date": date_text,
        "seller": {"name": name},
        "items": [{"tax_rate": number_text, "quantity": number_text}],
    }
    differences = compare.content_differences(read, REGISTERED)
    assert {d.field for d in differences} <= {"items", "total", "issue_date", "seller.name", *ITEM_FIELDS}


ITEM_FIELDS = {"items[0].tax_rate", "items[0].quantity"}
