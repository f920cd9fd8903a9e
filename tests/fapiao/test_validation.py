"""Structural validation of queries and invoices: findings, never exceptions."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanpiao.fapiao import amount_words
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.findings import ERROR, WARNING, has_errors
from yanpiao.fapiao.invoice import InvoiceKey, Item, Party
from yanpiao.fapiao.validation import validate_invoice, validate_query

from .conftest import build_invoice, line

TODAY = datetime.date(2026, 5, 1)


def found(findings):
    return {(f.rule, f.field, f.severity) for f in findings}


def query(**fields):
    return Query.from_fields(**fields)


# --- queries --------------------------------------------------------------------------------

DIGITAL_QUERY = {"number": "26427000000375586818", "issue_date": "2026-04-30", "total": "10.70"}
ORDINARY_QUERY = {
    "code": "1100174320",
    "number": "40184419",
    "issue_date": "2025-05-12",
    "check_code": "325258",
}


@pytest.mark.parametrize(
    "fields",
    [
        DIGITAL_QUERY,
        {**DIGITAL_QUERY, "type": "32"},
        {**DIGITAL_QUERY, "issue_date": "20260430"},
        {**DIGITAL_QUERY, "total": "-10.7"},
        ORDINARY_QUERY,
        {**ORDINARY_QUERY, "check_code": "82190984023325258452"},
        {**ORDINARY_QUERY, "check_code": None, "amount": "329.25"},
        {**ORDINARY_QUERY, "type": "04", "amount": "57"},
        {"code": "4300171130", "number": "02550485", "issue_date": "2025-12-31", "amount": "10545.43"},
        {"code": "144031909110", "number": "12345678", "issue_date": "2025-12-31", "check_code": "4c1a1"},
    ],
)
def test_good_queries(fields):
    assert validate_query(query(**fields), TODAY) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({**DIGITAL_QUERY, "number": ""}, ("number.required", "number", ERROR)),
        ({**DIGITAL_QUERY, "number": "2642700000037558681"}, ("number.length", "number", ERROR)),
        ({**ORDINARY_QUERY, "number": "4018441"}, ("number.length", "number", ERROR)),
        ({**ORDINARY_QUERY, "number": "4018441x"}, ("number.format", "number", ERROR)),
        ({**ORDINARY_QUERY, "code": ""}, ("code.required", "code", ERROR)),
        ({**DIGITAL_QUERY, "code": "1100174320"}, ("code.unexpected", "code", ERROR)),
        ({**ORDINARY_QUERY, "code": "110017432"}, ("code.length", "code", ERROR)),
        ({**ORDINARY_QUERY, "code": "11001743A0"}, ("code.format", "code", ERROR)),
        ({**ORDINARY_QUERY, "code": "050003523456"}, ("code.scheme", "code", WARNING)),
        ({**DIGITAL_QUERY, "issue_date": ""}, ("issue_date.required", "issue_date", ERROR)),
        ({**DIGITAL_QUERY, "issue_date": "2026/04/30"}, ("issue_date.format", "issue_date", ERROR)),
        ({**DIGITAL_QUERY, "issue_date": "2026-02-30"}, ("issue_date.no_such_day", "issue_date", ERROR)),
        ({**DIGITAL_QUERY, "issue_date": "20261301"}, ("issue_date.no_such_day", "issue_date", ERROR)),
        ({**DIGITAL_QUERY, "issue_date": "2026-05-02"}, ("issue_date.future", "issue_date", ERROR)),
        ({**DIGITAL_QUERY, "issue_date": "2021-04-30"}, ("issue_date.too_old", "issue_date", WARNING)),
        ({**DIGITAL_QUERY, "total": None}, ("key.missing", "total", ERROR)),
        ({**ORDINARY_QUERY, "check_code": None}, ("key.missing", "check_code", ERROR)),
        ({**ORDINARY_QUERY, "code": "4300171130", "check_code": None}, ("key.missing", "amount", ERROR)),
        ({**DIGITAL_QUERY, "total": "10.701"}, ("total.format", "total", ERROR)),
        ({**DIGITAL_QUERY, "total": "ten"}, ("total.format", "total", ERROR)),
        ({**DIGITAL_QUERY, "total": "0.00"}, ("total.zero", "total", ERROR)),
        ({**ORDINARY_QUERY, "amount": "0"}, ("amount.zero", "amount", ERROR)),
        ({**ORDINARY_QUERY, "amount": "1.2.3"}, ("amount.format", "amount", ERROR)),
        ({**ORDINARY_QUERY, "check_code": "25258"}, ("check_code.length", "check_code", ERROR)),
        ({**ORDINARY_QUERY, "check_code": "3252580"}, ("check_code.length", "check_code", ERROR)),
        ({**ORDINARY_QUERY, "check_code": "32525x"}, ("check_code.format", "check_code", ERROR)),
        ({**DIGITAL_QUERY, "check_code": "325258"}, ("check_code.not_printed", "check_code", ERROR)),
        ({"code": "4300171130", "number": "02550485", "issue_date": "2025-12-31", "check_code": "325258"},
         ("check_code.not_printed", "check_code", ERROR)),
        ({**DIGITAL_QUERY, "type": "99"}, ("type.unknown", "type", ERROR)),
        ({**DIGITAL_QUERY, "type": "10"}, ("type.inconsistent", "type", ERROR)),
        ({**ORDINARY_QUERY, "type": "32"}, ("type.inconsistent", "type", ERROR)),
        ({**ORDINARY_QUERY, "type": "10"}, ("type.code_mismatch", "type", WARNING)),
    ],
)  # fmt: skip
def test_query_findings(fields, expected):
    findings = validate_query(query(**fields), TODAY)
    assert expected in found(findings), findings


def test_code_outside_the_scheme_is_only_a_warning():
    findings = validate_query(
        query(**{**ORDINARY_QUERY, "code": "050003523456", "check_code": "427889"}), TODAY
    )
    assert findings and not has_errors(findings)
    assert all(f.severity == WARNING and f.field == "code" for f in findings)


def test_max_age_is_a_parameter():
    old = query(**{**DIGITAL_QUERY, "issue_date": "2024-04-30"})
    assert validate_query(old, TODAY) == []
    assert found(validate_query(old, TODAY, max_age_years=1)) == {
        ("issue_date.too_old", "issue_date", WARNING)
    }


def test_age_limit_on_29_february():
    assert (
        validate_query(query(**{**DIGITAL_QUERY, "issue_date": "2023-02-28"}), datetime.date(2028, 2, 29))
        == []
    )
    too_old = validate_query(
        query(**{**DIGITAL_QUERY, "issue_date": "2023-02-27"}), datetime.date(2028, 2, 29)
    )
    assert [f.rule for f in too_old] == ["issue_date.too_old"]


def test_today_is_not_the_future():
    assert validate_query(query(**{**DIGITAL_QUERY, "issue_date": "2026-05-01"}), TODAY) == []


def test_missing_key_message_says_what_the_platform_asks_for():
    (digital,) = validate_query(query(**{**DIGITAL_QUERY, "total": None}), TODAY)
    assert "价税合计" in digital.message and "amount, check code or total" in digital.message
    (ordinary,) = validate_query(query(**{**ORDINARY_QUERY, "check_code": None}), TODAY)
    assert "校验码" in ordinary.message and "增值税普通发票" in ordinary.message


def test_messages_name_what_was_expected():
    (finding,) = validate_query(query(**{**ORDINARY_QUERY, "number": "4018441"}), TODAY)
    assert "8 digits" in finding.message and "got 7" in finding.message
    assert str(finding).startswith("error: number: ")


def test_queries_straight_from_the_dataclass_are_compacted():
    assert (
        validate_query(
            Query(number=" 2642 7000 0003 7558 6818", issue_date="2026-04-30", total="10.70"), TODAY
        )
        == []
    )


_FIELD_TEXT = st.text(max_size=24) | st.sampled_from(
    ["", "26427000000375586818", "1100174320", "2026-04-30", "57"]
)


@given(st.fixed_dictionaries({name: _FIELD_TEXT for name in
                              ("number", "code", "issue_date", "amount", "check_code", "total", "type")}))  # fmt: skip
def test_validate_query_never_raises(fields):
    findings = validate_query(Query(**fields), TODAY)
    assert all(f.severity in (ERROR, WARNING) and f.message for f in findings)


# --- invoices -------------------------------------------------------------------------------


@pytest.mark.parametrize("type_code", ["01", "04", "10", "11", "14", "20", "31", "32"])
def test_good_invoices(type_code):
    assert validate_invoice(build_invoice(type_code), TODAY) == []


def test_private_buyer_without_tax_id():
    assert validate_invoice(build_invoice(buyer=Party(name="张三")), TODAY) == []


def red_letter_of(original, **fields):
    lines = tuple(line(str(-i.amount), i.tax_rate, i.name) for i in original.items)
    remarks = f"被红冲蓝字数电发票号码：{original.number}"
    data = {"red_letter_of": InvoiceKey(original.code, original.number), "remarks": remarks,
            "number": "26427000000375586819"}  # fmt: skip
    return build_invoice(original.type, lines=lines, **{**data, **fields})


def test_good_red_letter_invoice():
    red = red_letter_of(build_invoice("32"))
    assert red.total < 0 and red.total_in_words.startswith("（负数）")
    assert validate_invoice(red, TODAY) == []


@pytest.mark.parametrize(
    ("type_code", "fields", "expected"),
    [
        ("32", {"type": "99"}, ("type.unknown", "type", ERROR)),
        ("32", {"code": "1100174320"}, ("code.unexpected", "code", ERROR)),
        ("10", {"code": ""}, ("code.required", "code", ERROR)),
        ("10", {"code": "04403170011"}, ("code.length", "code", ERROR)),
        ("10", {"code": "050003523456"}, ("code.scheme", "code", WARNING)),
        ("10", {"code": "1100174320"}, ("code.kind_mismatch", "code", WARNING)),
        ("32", {"number": "28477743"}, ("number.length", "number", ERROR)),
        ("10", {"number": "26427000000375586818"}, ("number.length", "number", ERROR)),
        ("10", {"number": "2847774"}, ("number.length", "number", ERROR)),
        ("10", {"number": "2847774O"}, ("number.format", "number", ERROR)),
        ("32", {"issue_date": datetime.date(2026, 5, 2)}, ("issue_date.future", "issue_date", ERROR)),
        (
            "32",
            {"seller": Party(tax_id="91440300708461136T")},
            ("seller.name.required", "seller.name", ERROR),
        ),
        ("32", {"seller": Party(name="腾讯")}, ("tax_id.required", "seller.tax_id", ERROR)),
        (
            "32",
            {"seller": Party(name="x", tax_id="91500102563638729E")},
            ("tax_id.checksum", "seller.tax_id", ERROR),
        ),
        (
            "32",
            {"seller": Party(name="x", tax_id="A1320621MA1MRHG217")},
            ("tax_id.checksum", "seller.tax_id", ERROR),
        ),
        (
            "32",
            {"seller": Party(name="x", tax_id="L8320621MA1MRHG204")},
            ("tax_id.component", "seller.tax_id", ERROR),
        ),
        (
            "32",
            {"seller": Party(name="x", tax_id="9144030070846113")},
            ("tax_id.length", "seller.tax_id", ERROR),
        ),
        (
            "32",
            {"buyer": Party(name="x", tax_id="91320621MA1MRHG207")},
            ("tax_id.checksum", "buyer.tax_id", ERROR),
        ),
        ("10", {"check_code": ""}, ("check_code.required", "check_code", ERROR)),
        ("04", {"check_code": "227858"}, ("check_code.length", "check_code", ERROR)),
        ("14", {"check_code": "4898740624185722785X"}, ("check_code.format", "check_code", ERROR)),
        ("01", {"check_code": "48987406241857227858"}, ("check_code.unexpected", "check_code", ERROR)),
        ("32", {"check_code": "48987406241857227858"}, ("check_code.unexpected", "check_code", ERROR)),
        ("32", {"total_in_words": "壹拾圆柒角整"}, ("amount_words.mismatch", "total_in_words", ERROR)),
        ("32", {"total": Decimal("1.00")}, ("arithmetic.total", "total", ERROR)),
        ("32", {"status": "lost"}, ("status.unknown", "status", ERROR)),
    ],
)
def test_invoice_findings(type_code, fields, expected):
    findings = validate_invoice(build_invoice(type_code).replace(**fields), TODAY)
    assert expected in found(findings), findings


def test_words_mismatch_says_what_was_expected():
    invoice = build_invoice("32", total_in_words="壹拾圆柒角整")
    (finding,) = [f for f in validate_invoice(invoice, TODAY) if f.rule == "amount_words.mismatch"]
    assert amount_words.to_words(invoice.total) in finding.message


def test_words_in_another_accepted_form_pass():
    invoice = build_invoice("32")
    assert (
        validate_invoice(invoice.replace(total_in_words=invoice.total_in_words.replace("圆", "元")), TODAY)
        == []
    )


def test_bad_tax_id_message_names_the_party_and_the_expected_character():
    invoice = build_invoice("32", seller=Party(name="x", tax_id="91500102563638729E"))
    (finding,) = validate_invoice(invoice, TODAY)
    assert "seller" in finding.message and "should be 5" in finding.message


def test_negative_normal_invoice():
    lines = (line("-100.00"),)
    findings = found(validate_invoice(build_invoice("32", lines=lines), TODAY))
    assert ("total.negative", "total", ERROR) in findings and ("amount.negative", "amount", ERROR) in findings


def test_zero_total():
    lines = (line("100.00"), line("-100.00"))
    findings = found(validate_invoice(build_invoice("32", lines=lines), TODAY))
    assert ("total.zero", "total", ERROR) in findings


def test_red_letter_must_be_negative():
    original = build_invoice("32")
    red = build_invoice("32", red_letter_of=InvoiceKey("", original.number),
                        remarks=f"被红冲蓝字数电发票号码：{original.number}", number="26427000000375586819")  # fmt: skip
    findings = found(validate_invoice(red, TODAY))
    assert ("red_letter.sign", "total", ERROR) in findings and (
        "red_letter.sign",
        "amount",
        ERROR,
    ) in findings


def test_red_letter_remark_is_a_warning():
    red = red_letter_of(build_invoice("32"), remarks="")
    findings = validate_invoice(red, TODAY)
    assert found(findings) == {("red_letter.remark", "remarks", WARNING)}
    red = red_letter_of(build_invoice("32"), remarks="被红冲蓝字数电发票号码：26427000000375586810")
    assert found(validate_invoice(red, TODAY)) == {("red_letter.remark", "remarks", WARNING)}


def test_red_letter_remark_is_not_expected_before_digital():
    red = red_letter_of(build_invoice("10"), remarks="", number="28477744")
    assert validate_invoice(red, TODAY) == []


@pytest.mark.parametrize(
    "key", [InvoiceKey("", "2642700000037558681"), InvoiceKey("", "26427000000375586819"), InvoiceKey("", "")]
)
def test_red_letter_original_must_be_another_invoice(key):
    red = red_letter_of(
        build_invoice("32"), red_letter_of=key, remarks=f"被红冲蓝字数电发票号码：{key.number}"
    )
    assert [f.rule for f in validate_invoice(red, TODAY)] == ["red_letter.original"]


def test_exempt_line_with_tax():
    lines = (Item("*农产品*大米", Decimal("100.00"), "exempt", Decimal("3.00")),)
    invoice = build_invoice(
        "32", lines=lines, amount=Decimal("100.00"), tax=Decimal("3.00"), total=Decimal("103.00")
    )
    assert ("arithmetic.exempt_tax", "items[0].tax", ERROR) in found(validate_invoice(invoice, TODAY))


def test_several_problems_are_all_reported():
    invoice = build_invoice("10", code="", check_code="", seller=Party(), status="lost")
    rules = {f.rule for f in validate_invoice(invoice, TODAY)}
    assert {
        "code.required",
        "check_code.required",
        "seller.name.required",
        "tax_id.required",
        "status.unknown",
    } <= rules


_TYPES = st.sampled_from(["01", "04", "10", "11", "14", "20", "31", "32", "99", ""])


@given(
    _TYPES,
    st.text(max_size=14),
    st.text(max_size=22),
    st.text(max_size=22),
    st.text(max_size=20),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
)
def test_validate_invoice_never_raises(type_code, code, number, check_code, tax_id, total):
    invoice = build_invoice("32").replace(
        type=type_code, code=code, number=number, check_code=check_code, total=total,
        seller=Party(name="x", tax_id=tax_id), total_in_words=str(total),
    )  # fmt: skip
    findings = validate_invoice(invoice, TODAY)
    assert all(f.severity in (ERROR, WARNING) and f.field and f.message for f in findings)
    if type_code in ("", "99"):
        assert "type.unknown" in {f.rule for f in findings}
