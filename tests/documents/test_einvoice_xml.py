"""The 数电 XML: the real EInvoice structure, and every field of the invoice back out of it."""

from decimal import Decimal

import pytest
from defusedxml import ElementTree

from tests import factories
from yanpiao.documents.einvoice_xml import render_xml
from yanpiao.fapiao.invoice import Item, format_amount, to_json


def read_back(data: bytes) -> dict:
    """The invoice JSON the XML states, read the way a reader of real files would."""
    root = ElementTree.fromstring(data)
    data_ = root.find("EInvoiceData")
    basic = data_.find("BasicInformation")

    def party(element, prefix: str) -> dict:
        return {
            "name": element.findtext(f"{prefix}Name", ""),
            "tax_id": element.findtext(f"{prefix}IdNum", ""),
            "address": element.findtext(f"{prefix}Addr", ""),
            "phone": element.findtext(f"{prefix}TelNum", ""),
            "bank": element.findtext(f"{prefix}BankName", ""),
            "account": element.findtext(f"{prefix}BankAccNum", ""),
        }

    rates = {"免税": "exempt", "不征税": "not_taxable"}
    items = [
        {
            "name": line.findtext("ItemName", ""),
            "tax_category_code": line.findtext("TaxClassificationCode", ""),
            "spec": line.findtext("SpecMod", ""),
            "unit": line.findtext("MeaUnits", ""),
            "quantity": line.findtext("Quantity", ""),
            "unit_price": line.findtext("UnPrice", ""),
            "amount": line.findtext("Amount"),
            "tax_rate": rates.get(line.findtext("TaxRate"), line.findtext("TaxRate")),
            "tax": line.findtext("ComTaxAm"),
        }
        for line in data_.findall("IssuItemInformation")
    ]
    special = root.findtext("Header/InherentLabel/GeneralOrSpecialVAT/LabelCode")
    return {
        "type": "31" if special == "01" else "32",
        "number": root.findtext("Header/EIid"),
        "issue_date": root.findtext("TaxSupervisionInfo/IssueTime"),
        "seller": party(data_.find("SellerInformation"), "Seller"),
        "buyer": party(data_.find("BuyerInformation"), "Buyer"),
        "items": items,
        "amount": basic.findtext("TotalAmWithoutTax"),
        "tax": basic.findtext("TotalTaxAm"),
        "total": basic.findtext("TotalTax-includedAmount"),
        "total_in_words": basic.findtext("TotalTax-includedAmountInChinese"),
        "remarks": data_.findtext("AdditionalInformation/Remark", ""),
        "drawer": basic.findtext("Drawer", ""),
    }


@pytest.mark.parametrize("type_code", ["31", "32"])
def test_fields_round_trip(type_code):
    invoice = factories.invoice(type=type_code, remarks="合同编号：HT202512345", buyer=factories.SELLER)
    expected = to_json(invoice)
    read = read_back(render_xml(invoice))
    for name, value in read.items():
        assert value == expected[name], name


def test_structure_follows_real_files():
    root = ElementTree.fromstring(render_xml(factories.invoice("31")))
    assert root.tag == "EInvoice"
    assert [child.tag for child in root] == [
        "Header",
        "EInvoiceData",
        "SellerAuthentication",
        "TaxSupervisionInfo",
    ]
    assert [child.tag for child in root.find("EInvoiceData")] == [
        "SellerInformation",
        "BuyerInformation",
        "BasicInformation",
        "IssuItemInformation",
        "IssuItemInformation",
        "SpecificInformation",
        "AdditionalInformation",
    ]
    assert root.findtext("Header/EInvoiceTag") == "SWEI1100"
    assert root.findtext("Header/InherentLabel/EInvoiceType/LabelName") == "电子发票"
    assert root.findtext("Header/InherentLabel/GeneralOrSpecialVAT/LabelName") == "增值税专用发票"
    assert root.findtext("TaxSupervisionInfo/TaxBureauCode") == "11100000000"
    assert root.findtext("TaxSupervisionInfo/TaxBureauName") == "国家税务总局北京市税务局"
    assert root.findtext("EInvoiceData/BasicInformation/RequestTime").startswith("2025-03-07 ")


def test_empty_values_are_left_out():
    root = ElementTree.fromstring(render_xml(factories.invoice("32")))
    line = root.find("EInvoiceData/IssuItemInformation")
    assert line.find("SpecMod") is None
    assert root.find("EInvoiceData/BuyerInformation/BuyerAddr") is None
    assert root.find("EInvoiceData/AdditionalInformation/Remark") is None


def test_red_letter_invoice():
    original = factories.invoice("32")
    red = factories.red_letter(original)
    data = render_xml(red)
    root = ElementTree.fromstring(data)
    assert root.findtext("Header/InherentLabel/InIssuType/LabelCode") == "N"
    assert (
        root.findtext("EInvoiceData/SpecificInformation/RedEInvoice/OriginalInvoiceCode") == original.number
    )
    assert root.findtext("EInvoiceData/BasicInformation/TotalTax-includedAmount") == format_amount(red.total)
    assert root.findtext("EInvoiceData/BasicInformation/TotalTax-includedAmountInChinese").startswith(
        "（负数）"
    )
    assert read_back(data)["remarks"] == red.remarks


def test_exempt_line():
    line = Item(
        name="*研发和技术服务*研发服务", amount=Decimal("300.00"), tax_rate="exempt", tax=Decimal("0.00")
    )
    root = ElementTree.fromstring(render_xml(factories.invoice("32", items=(line,))))
    assert root.findtext("EInvoiceData/IssuItemInformation/TaxRate") == "免税"
    assert root.findtext("EInvoiceData/IssuItemInformation/ComTaxAm") == "0.00"


@pytest.mark.parametrize("type_code", ["01", "04", "10", "11", "14", "20"])
def test_only_digital_invoices_have_one(type_code):
    with pytest.raises(ValueError, match="数电 XML exists only for 数电票"):
        render_xml(factories.invoice(type=type_code))


def test_same_invoice_same_bytes():
    invoice = factories.invoice("32", serial=9001)
    data = render_xml(invoice)
    assert data == render_xml(invoice)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<EInvoice>')
