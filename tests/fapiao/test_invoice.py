"""Invoice JSON: strict parsing and the round trip (docs/invoice-json.md)."""

import copy
import datetime
import json
import string
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanpiao.fapiao import invoice as inv
from yanpiao.fapiao.invoice import (
    STATUSES,
    Invoice,
    InvoiceFormatError,
    InvoiceKey,
    Item,
    Party,
    from_json,
    to_json,
)

EXAMPLE = {
    "type": "32",
    "code": "",
    "number": "26427000000375586818",
    "issue_date": "2026-04-30",
    "check_code": "",
    "machine_no": "",
    "seller": {
        "name": "北京京华数据科技有限公司",
        "tax_id": "91110302MA01NP925M",
        "address": "北京市海淀区中关村大街1号",
        "phone": "010-62000000",
        "bank": "中国工商银行北京分行",
        "account": "0200000000000000000",
    },
    "buyer": {"name": "张三", "tax_id": "", "address": "", "phone": "", "bank": "", "account": ""},
    "items": [
        {
            "name": "*餐饮服务*餐费",
            "tax_category_code": "3070401000000000000",
            "spec": "",
            "unit": "次",
            "quantity": "1",
            "unit_price": "10.09",
            "amount": "10.09",
            "tax_rate": "0.06",
            "tax": "0.61",
        }
    ],
    "amount": "10.09",
    "tax": "0.61",
    "total": "10.70",
    "total_in_words": "壹拾圆柒角整",
    "remarks": "",
    "drawer": "王芳",
    "payee": "",
    "reviewer": "",
    "red_letter_of": None,
    "status": "normal",
}


def changed(path, value):
    data = copy.deepcopy(EXAMPLE)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def test_example_parses():
    invoice = from_json(EXAMPLE)
    assert invoice.number == "26427000000375586818"
    assert invoice.issue_date == datetime.date(2026, 4, 30)
    assert invoice.total == Decimal("10.70")
    assert invoice.items[0].quantity == Decimal("1")
    assert invoice.items[0].rate == Decimal("0.06")
    assert invoice.red_letter_of is None and invoice.status == "normal"


def test_example_round_trips_exactly():
    assert to_json(from_json(EXAMPLE)) == EXAMPLE
    assert to_json(from_json(json.loads(json.dumps(EXAMPLE)))) == EXAMPLE


@pytest.mark.parametrize(
    ("path", "field"),
    [(("numbr",), "numbr"), (("seller", "nmae"), "seller.nmae"), (("items", 0, "price"), "items[0].price"),
     (("red_letter_of",), None)],
)  # fmt: skip
def test_unknown_fields_are_refused(path, field):
    if field is None:
        data = changed(path, {"code": "", "number": "1", "extra": "x"})
        field = "red_letter_of.extra"
    else:
        data = changed(path, "x")
    with pytest.raises(InvoiceFormatError) as info:
        from_json(data)
    assert info.value.field == field
    assert "unknown field" in str(info.value)


@pytest.mark.parametrize(
    "name", ["type", "number", "issue_date", "seller", "buyer", "amount", "tax", "total"]
)
def test_required_fields(name):
    with pytest.raises(InvoiceFormatError, match="required field is missing") as info:
        from_json(changed((name,), KeyError))
    assert info.value.field == name


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("amount",), 10.09, "not float"),
        (("total",), 10.7, "not float"),
        (("items", 0, "tax"), 0.61, "not float"),
        (("amount",), True, "not bool"),
        (("amount",), "ten", "not a decimal"),
        (("amount",), "NaN", "not a decimal"),
        (("amount",), "10.091", "more than two decimal places"),
        (("number",), 26427000000375586818, "must be a string"),
        (("seller",), "北京京华", "must be a JSON object"),
        (("seller", "name"), ["x"], "must be a string"),
        (("items",), {"name": "x"}, "must be a list"),
        (("items", 0), "x", "must be a JSON object"),
        (("items", 0, "tax_rate"), 0.06, "must be a string"),
        (("items", 0, "tax_rate"), "1.5", "between 0 and 1"),
        (("items", 0, "tax_rate"), "-0.06", "between 0 and 1"),
        (("items", 0, "quantity"), 1.5, "not float"),
        (("issue_date",), "30/04/2026", "not a date"),
        (("issue_date",), 20260430, "must be a date string"),
        (("type",), "99", "unknown invoice type"),
        (("status",), "cancelled", "must be one of"),
        (("red_letter_of",), {"code": ""}, "required field is missing"),
        (("red_letter_of",), "26427000000375586818", "must be a JSON object"),
    ],
)
def test_wrong_types_and_values_are_refused(path, value, fragment):
    with pytest.raises(InvoiceFormatError, match=fragment):
        from_json(changed(path, value))


def test_not_an_object():
    with pytest.raises(InvoiceFormatError, match="invoice: must be a JSON object"):
        from_json([EXAMPLE])


@pytest.mark.parametrize(("raw", "stored"), [("0.13", "0.13"), ("0.130000", "0.13"), ("13%", "0.13"), ("0", "0"),
                                             ("0.00", "0"), ("exempt", "exempt"), ("not_taxable", "not_taxable")])  # fmt: skip
def test_tax_rate_forms(raw, stored):
    assert from_json(changed(("items", 0, "tax_rate"), raw)).items[0].tax_rate == stored


def test_amounts_are_normalised_to_cents():
    invoice = from_json(changed(("total",), "10.7"))
    assert to_json(invoice)["total"] == "10.70"
    assert from_json(changed(("amount",), "57")).amount == Decimal("57.00")


def test_absent_optional_fields_mean_not_printed():
    data = {name: EXAMPLE[name] for name in ("type", "number", "issue_date", "amount", "tax", "total")}
    invoice = from_json({**data, "seller": {"name": "京华"}, "buyer": {}})
    assert invoice.code == "" and invoice.items == () and invoice.status == "normal"
    assert invoice.seller == Party(name="京华")


def test_red_letter_of():
    invoice = from_json(changed(("red_letter_of",), {"code": "", "number": "26427000000375586817"}))
    assert invoice.red_letter_of == InvoiceKey("", "26427000000375586817")
    assert invoice.is_red_letter
    assert to_json(invoice)["red_letter_of"] == {"code": "", "number": "26427000000375586817"}


def test_key():
    assert str(from_json(EXAMPLE).key) == "26427000000375586818"
    assert str(InvoiceKey("1100174320", "40184419")) == "1100174320/40184419"


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(str.strip)
_CENTS = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)
_PLAIN = st.none() | st.decimals(min_value=Decimal("-9999"), max_value=Decimal("9999"), places=4)
_DIGITS = st.text(string.digits, min_size=8, max_size=20)
_IDENTIFIER = st.text(string.ascii_uppercase + string.digits, max_size=20)  # as stored: compact, ASCII

parties = st.builds(
    Party, name=_TEXT, tax_id=_IDENTIFIER, address=_TEXT, phone=_TEXT, bank=_TEXT, account=_TEXT
)
items = st.builds(
    Item,
    name=_TEXT,
    amount=_CENTS,
    tax_rate=st.sampled_from(["0.13", "0.09", "0.06", "0.03", "0.01", "0", "0.005", "exempt", "not_taxable"]),
    tax=_CENTS,
    tax_category_code=_IDENTIFIER,
    spec=_TEXT,
    unit=_TEXT,
    quantity=_PLAIN,
    unit_price=_PLAIN,
)
invoices = st.builds(
    Invoice,
    type=st.sampled_from(sorted(inv.types.NAMES)),
    number=_DIGITS,
    issue_date=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)),
    seller=parties,
    buyer=parties,
    amount=_CENTS,
    tax=_CENTS,
    total=_CENTS,
    code=_IDENTIFIER,
    check_code=_IDENTIFIER,
    machine_no=_IDENTIFIER,
    items=st.lists(items, max_size=4).map(tuple),
    total_in_words=_TEXT,
    remarks=_TEXT,
    drawer=_TEXT,
    payee=_TEXT,
    reviewer=_TEXT,
    red_letter_of=st.none() | st.builds(InvoiceKey, code=_IDENTIFIER, number=_DIGITS),
    status=st.sampled_from(STATUSES),
)


@given(invoices)
def test_from_json_inverts_to_json(invoice):
    data = to_json(invoice)
    again = from_json(json.loads(json.dumps(data, ensure_ascii=False)))
    assert again == invoice
    assert to_json(again) == data


def test_identifiers_are_stored_compact_and_in_ascii():
    data = changed(("number",), " 2642 7000 0003 7558 6818 ")
    data["seller"]["tax_id"] = "９１１１０３０２ MA01NP925M"
    data["check_code"] = "16197 83356 74145 07415"
    parsed = from_json(data)
    assert parsed.number == "26427000000375586818"
    assert parsed.seller.tax_id == "91110302MA01NP925M"
    assert parsed.check_code == "16197833567414507415"
    assert parsed.seller.name == EXAMPLE["seller"]["name"]  # names keep their inner spaces
