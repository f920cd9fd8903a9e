"""The 数电 XML reader (yanpiao.intake.einvoice_xml) on XML built like the real sample."""

from xml.etree import ElementTree as ET

import pytest

from tests.intake import hostile
from yanpiao.fapiao import invoice
from yanpiao.intake import einvoice_xml
from yanpiao.intake.limits import RefusedDocument
from yanpiao.intake.reader import extract

from .conftest import ITEMS, build_einvoice_xml


def read_one(data: bytes):
    extraction = extract(data)
    assert extraction.format == "xml" and len(extraction.candidates) == 1
    return extraction.candidates[0]


def test_every_field_is_read_with_the_source_xml():
    c = read_one(build_einvoice_xml())
    f = c.fields
    assert (f["type"], f["number"]) == ("31", "26322000004478296111") and "code" not in f
    assert f["issue_date"] == "2026-06-04"
    assert f["seller"] == {
        "tax_id": "91320106751253359F",
        "name": "南京示例科技股份有限公司",
        "address": "南京市江北新区示例路88号",
        "phone": "13500000000",
        "bank": "中国工商银行南京市城东支行",
        "account": "4301012019100491861",
    }
    assert f["buyer"]["name"] == "无锡示例农产品集团有限公司" and f["buyer"]["phone"] == "0510-82363025"
    assert (f["amount"], f["tax"], f["total"]) == ("10026.88", "643.12", "10670.00")
    assert f["total_in_words"] == "壹万零陆佰柒拾圆整" and f["drawer"] == "方雨"
    assert f["items"][0] == {
        "name": "*生产生活服务*技术服务费",
        "unit": "项",
        "quantity": "1",
        "unit_price": "9433.96226415094",
        "amount": "9433.96",
        "tax_rate": "0.06",
        "tax": "566.04",
        "tax_category_code": "3040203000000000000",
    }
    assert f["items"][1]["spec"] == "TL-R479G+" and f["items"][1]["tax_rate"] == "0.13"
    assert set(c.sources.values()) == {"xml"} and c.findings == [] and c.qr == {}
    assert "red_letter_of" not in f and "remarks" not in f


def test_the_fields_are_invoice_json():
    f = read_one(build_einvoice_xml()).fields
    parsed = invoice.from_json({**f, "seller": f["seller"], "buyer": f["buyer"]})
    assert str(parsed.total) == "10670.00" and len(parsed.items) == 2


def test_the_candidate_is_keyed_by_the_total():
    query = read_one(build_einvoice_xml()).query()
    assert (query.type, query.number, query.issue_date, query.total) == (
        "31",
        "26322000004478296111",
        "2026-06-04",
        "10670.00",
    )


@pytest.mark.parametrize(
    ("label", "type_code"),
    [(("01", "增值税专用发票"), "31"), (("02", "普通发票"), "32"), (("02", ""), "32"), (("", ""), "")],
)
def test_type_from_the_labels(label, type_code):
    assert read_one(build_einvoice_xml(label=label)).fields.get("type", "") == type_code


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("0.13", "0.13"),
        ("0.130000", "0.13"),
        ("0.060000", "0.06"),
        ("0.03", "0.03"),
        ("0", "0"),
        ("6%", "0.06"),
    ],
)
def test_rates_are_normalised(written, normalised):
    items = [{"ItemName": "*服务*服务费", "Amount": "100.00", "TaxRate": written, "ComTaxAm": "0.00"}]
    line = read_one(build_einvoice_xml(items=items)).fields["items"][0]
    assert line["tax_rate"] == normalised


@pytest.mark.parametrize(("written", "rate"), [("免税", "exempt"), ("不征税", "not_taxable")])
def test_exempt_lines_carry_no_tax(written, rate):
    items = [{"ItemName": "*农产品*大米", "Amount": "100.00", "TaxRate": written, "ComTaxAm": "***"}]
    basic = {
        "TotalAmWithoutTax": "100.00",
        "TotalTaxAm": "0.00",
        "TotalTax-includedAmount": "100.00",
        "TotalTax-includedAmountInChinese": "壹佰圆整",
    }
    c = read_one(build_einvoice_xml(items=items, basic=basic))
    assert c.fields["items"][0]["tax_rate"] == rate and c.fields["items"][0]["tax"] == "0.00"
    assert [f.rule for f in c.findings] == ["xml.unreadable"]  # *** is not an amount


def test_the_issue_date_falls_back_to_the_request_time():
    data = build_einvoice_xml().replace(b"<IssueTime>2026-06-04</IssueTime>", b"")
    assert read_one(data).fields["issue_date"] == "2026-06-04"


def test_a_toll_invoice_is_numbered_by_its_header_not_its_plate():
    toll = ET.Element("SpecificInformation")
    details = ET.SubElement(toll, "Toll")
    ET.SubElement(details, "PlateNumber").text = "云A00000"
    ET.SubElement(details, "InvoiceNumber").text = "99999999999999999999"
    c = read_one(build_einvoice_xml(number="26337904450900255091", label=("02", "普通发票"), specific=toll))
    assert c.fields["number"] == "26337904450900255091" and c.fields["type"] == "32"


def test_a_red_letter_invoice_names_the_reversed_one():
    red = ET.Element("SpecificInformation")
    details = ET.SubElement(red, "RedEInvoice")
    ET.SubElement(details, "OriginalInvoiceCode").text = "24112000000135114086"
    items = [{"ItemName": "*服务*服务费", "Amount": "-471.70", "TaxRate": "0.06", "ComTaxAm": "-28.30"}]
    basic = {
        "TotalAmWithoutTax": "-471.70",
        "TotalTaxAm": "-28.30",
        "TotalTax-includedAmount": "-500.00",
        "TotalTax-includedAmountInChinese": "（负数）伍佰圆整",
    }
    c = read_one(build_einvoice_xml(items=items, basic=basic, specific=red))
    assert c.fields["red_letter_of"] == {"code": "", "number": "24112000000135114086"}
    assert c.fields["total"] == "-500.00" and c.findings == []


@pytest.mark.parametrize("label", ["被红冲蓝字数电发票号码：", "被红冲蓝字数电票号码:"])
def test_a_red_letter_invoice_named_in_the_remark(label):
    remark = f"{label}24112000000135114086 红字发票信息确认单编号：11010824091002615708"
    c = read_one(build_einvoice_xml(remark=remark))
    assert c.fields["remarks"] == remark
    assert c.fields["red_letter_of"] == {"code": "", "number": "24112000000135114086"}


def test_words_that_do_not_state_the_total_are_an_error():
    c = read_one(build_einvoice_xml(basic={"TotalTax-includedAmountInChinese": "壹万零陆佰柒拾壹圆整"}))
    assert [(f.rule, f.field, f.severity) for f in c.findings] == [
        ("amount_words.mismatch", "total_in_words", "error")
    ]


def test_arithmetic_is_checked_by_the_core_rules():
    items = [dict(item) for item in ITEMS]
    items[0]["ComTaxAm"] = "566.54"  # 9433.96 × 6% is 566.04: 0.50 off, beyond the 0.06 per line
    basic = {
        "TotalTaxAm": "643.62",
        "TotalTax-includedAmount": "10670.50",
        "TotalTax-includedAmountInChinese": "壹万零陆佰柒拾圆伍角整",
    }
    c = read_one(build_einvoice_xml(items=items, basic=basic))
    assert [(f.rule, f.field) for f in c.findings] == [("arithmetic.line_tax", "items[0].tax")]


def test_a_total_that_is_not_amount_plus_tax_is_an_error_even_without_lines():
    c = read_one(
        build_einvoice_xml(
            items=[],
            basic={
                "TotalTax-includedAmount": "10670.01",
                "TotalTax-includedAmountInChinese": "壹万零陆佰柒拾圆零壹分",
            },
        )
    )
    assert [f.rule for f in c.findings] == ["arithmetic.total"]


def test_an_unreadable_amount_is_left_out_with_a_warning():
    c = read_one(build_einvoice_xml(basic={"TotalTaxAm": "六百"}))
    assert "tax" not in c.fields
    assert [(f.rule, f.field, f.severity) for f in c.findings] == [("xml.unreadable", "tax", "warning")]


def test_a_namespaced_einvoice_is_read_too():
    data = build_einvoice_xml().replace(b"<EInvoice>", b'<EInvoice xmlns="urn:example:einvoice">')
    assert read_one(data).fields["total"] == "10670.00"


def test_differing_numbers_in_header_and_supervision_are_reported():
    data = build_einvoice_xml().replace(
        b"<InvoiceNumber>26322000004478296111", b"<InvoiceNumber>26322000004478296112", 1
    )
    c = read_one(data)
    assert c.fields["number"] == "26322000004478296111"
    assert [f.rule for f in c.findings] == ["consistency.xml_number"]


def test_other_xml_is_not_an_invoice():
    with pytest.raises(RefusedDocument) as caught:
        extract(b'<?xml version="1.0"?><Invoice><No>1</No></Invoice>')
    assert caught.value.reason == "not_invoice" and "<Invoice>" in caught.value.message


def test_a_test_environment_signature_is_flagged():
    # The issuer CN of the test CA as DER writes it (UTF8String), hex-encoded like SignatureValue.
    test_ca = "0c10" + "税务测试CA2(SM2)".encode().hex()
    c = read_one(build_einvoice_xml(signature_hex="3082" + test_ca))
    assert [(f.rule, f.field, f.severity) for f in c.findings] == [
        ("document.test_environment", "document", "error")
    ]
    assert c.refused


def test_normalisers():
    assert einvoice_xml.money("1e999999") is None and einvoice_xml.money("1.005") is None
    assert einvoice_xml.money("-0") == "0.00" and einvoice_xml.money(" 1,234 ") == "1234.00"
    assert einvoice_xml.rate("1E-99999") is None and einvoice_xml.rate("1.5") is None
    assert einvoice_xml.rate("0.0") == "0" and einvoice_xml.rate("***") is None
    assert (
        einvoice_xml.issue_date("2026-13-01") is None and einvoice_xml.issue_date("20260601") == "2026-06-01"
    )


def test_an_xml_made_out_to_a_test_party_is_a_specimen_error():
    data = build_einvoice_xml().replace("无锡示例农产品集团有限公司".encode(), "测试购方企业".encode())
    [candidate] = einvoice_xml.read(data).candidates
    assert [(f.rule, f.field, f.severity) for f in candidate.findings] == [
        ("document.specimen", "document", "error")
    ]
    assert candidate.refused


# --- documents from which no key field was read ---------------------------------------------------


def test_an_xinclude_is_refused_not_read_as_an_empty_invoice():
    with pytest.raises(RefusedDocument) as caught:
        extract(hostile.xinclude_xml())
    assert caught.value.reason == "unsafe" and "XInclude" in caught.value.message


def test_an_einvoice_holding_only_a_huge_attribute_is_refused_for_want_of_key_fields():
    with pytest.raises(RefusedDocument) as caught:
        extract(hostile.huge_attribute_xml(200_000))
    assert caught.value.reason == "not_invoice" and "key field" in caught.value.message


def test_an_einvoice_with_parties_but_no_key_field_is_refused():
    data = (
        "<EInvoice><EInvoiceData><SellerInformation><SellerName>北京示例科技有限公司</SellerName>"
        "</SellerInformation></EInvoiceData></EInvoice>"
    ).encode()
    with pytest.raises(RefusedDocument) as caught:
        extract(data)
    assert caught.value.reason == "not_invoice" and "发票号码" in caught.value.message
