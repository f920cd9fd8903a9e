"""The rendered OFD: its three data places (CustomDatas, CustomTag, original_invoice) hold the invoice."""

import datetime
import io
import zipfile
from decimal import Decimal

import numpy as np
import pytest
import zxingcpp
from defusedxml import ElementTree
from PIL import Image

from tests import factories
from yanpiao.documents.ofd import render_ofd
from yanpiao.fapiao import qr
from yanpiao.fapiao.invoice import format_amount

OFD = "{http://www.ofdspec.org/2016}"
FP = "{http://www.edrm.org.cn/schema/e-invoice/2019}"


def package(invoice, **options) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(render_ofd(invoice, **options)))


def parse(archive: zipfile.ZipFile, name: str):
    return ElementTree.fromstring(archive.read(name))


def custom_datas(archive) -> dict[str, str]:
    root = parse(archive, "OFD.xml")
    return {e.get("Name"): e.text for e in root.iter(f"{OFD}CustomData")}


def text_objects(archive) -> dict[str, str]:
    page = parse(archive, "Doc_0/Pages/Page_0/Content.xml")
    return {e.get("ID"): e.find(f"{OFD}TextCode").text for e in page.iter(f"{OFD}TextObject")}


def tagged(archive) -> dict[str, list[str]]:
    """CustomTag element name → the text of the objects it refers to, joined (one entry per element)."""
    texts = text_objects(archive)
    root = parse(archive, "Doc_0/Tags/CustomTag.xml")
    found: dict[str, list[str]] = {}
    for element in root.iter():
        refs = element.findall(f"{OFD}ObjectRef")
        if refs:
            name = element.tag.removeprefix(OFD)
            found.setdefault(name, []).append("".join(texts[r.text] for r in refs))
    return found


def qr_image_text(archive) -> list[str]:
    (name,) = [n for n in archive.namelist() if n.startswith("Doc_0/Res/") and n.endswith(".png")]
    picture = np.array(Image.open(io.BytesIO(archive.read(name))).convert("L"))
    return [r.text for r in zxingcpp.read_barcodes(picture)]


@pytest.mark.parametrize("type_code", ["32", "31", "10", "01", "04", "11", "14", "20"])
def test_custom_datas_hold_the_key_fields(type_code):
    invoice = factories.invoice(type=type_code)
    datas = custom_datas(package(invoice))
    assert datas["发票号码"] == invoice.number
    assert datas["开票日期"] == "2025年03月07日"
    assert datas["合计金额"] == format_amount(invoice.amount)
    assert datas["合计税额"] == format_amount(invoice.tax)
    assert datas["价税合计"] == format_amount(invoice.total)
    assert datas["购买方纳税人识别号"] == invoice.buyer.tax_id
    assert datas["销售方纳税人识别号"] == invoice.seller.tax_id
    assert datas.get("发票代码", "") == invoice.code
    assert datas.get("校验码", "") == invoice.check_code


def test_digital_invoice_has_custom_tags_pointing_at_the_printed_values():
    invoice = factories.invoice("32", remarks="合同编号：HT202512345")
    archive = package(invoice)
    assert "Doc_0/Attachs/original_invoice.xml" not in archive.namelist()
    tags = tagged(archive)
    assert tags["InvoiceNo"] == [invoice.number]
    assert tags["IssueDate"] == ["2025年03月07日"]
    assert tags["BuyerName"] == [invoice.buyer.name]
    assert tags["BuyerTaxID"] == [invoice.buyer.tax_id]
    assert tags["SellerName"] == [invoice.seller.name]
    assert tags["SellerTaxID"] == [invoice.seller.tax_id]
    assert tags["TaxExclusiveTotalAmount"] == ["¥157.50"]
    assert tags["TaxTotalAmount"] == ["¥13.48"]
    assert tags["TaxInclusiveTotalAmount"] == ["¥170.98"]
    assert tags["InvoiceClerk"] == [invoice.drawer]
    assert tags["Item"] == [item.name for item in invoice.items]
    assert tags["Amount"] == ["100.00", "57.50"]
    assert tags["TaxScheme"] == ["6%", "13%"]
    assert tags["TaxAmount"] == ["6.00", "7.48"]
    assert tags["Quantity"] == ["1", "1"]
    assert tags["Price"] == ["100.00", "57.50"]
    assert tags["Note"] == ["合同编号：HT202512345"]


def test_custom_tag_structure_mirrors_real_files():
    archive = package(factories.invoice("31"))
    tags = parse(archive, "Doc_0/Tags/CustomTags.xml")
    assert tags.find(f"{OFD}CustomTag").get("TypeID") == "root"
    root = parse(archive, "Doc_0/Tags/CustomTag.xml")
    assert root.tag == f"{OFD}root"
    assert [child.tag.removeprefix(OFD) for child in root][:5] == [
        "InvoiceNo",
        "IssueDate",
        "Buyer",
        "Seller",
        "TaxExclusiveTotalAmount",
    ]
    page_ids = {p.get("ID") for p in parse(archive, "Doc_0/Document.xml").iter(f"{OFD}Page")}
    assert {r.get("PageRef") for r in root.iter(f"{OFD}ObjectRef")} == page_ids


def test_old_types_carry_original_invoice_xml():
    invoice = factories.invoice("10", remarks="合同编号：HT202512345", payee="李四", reviewer="赵六")
    archive = package(invoice)
    assert "Doc_0/Tags/CustomTag.xml" not in archive.namelist()
    root = parse(archive, "Doc_0/Attachs/original_invoice.xml")
    assert root.tag == "eInvoice"

    def value(path: str) -> str:
        return root.findtext("/".join(FP + step for step in path.split("/"))) or ""

    assert value("InvoiceCode") == invoice.code
    assert value("InvoiceNo") == invoice.number
    assert value("IssueDate") == "2025年03月07日"
    assert value("InvoiceCheckCode") == invoice.check_code
    assert value("MachineNo") == invoice.machine_no
    assert value("Buyer/BuyerName") == invoice.buyer.name
    assert value("Seller/SellerTaxID") == invoice.seller.tax_id
    assert value("Seller/SellerAddrTel") == f"{invoice.seller.address} {invoice.seller.phone}"
    assert value("Seller/SellerFinancialAccount") == f"{invoice.seller.bank} {invoice.seller.account}"
    assert value("TaxExclusiveTotalAmount") == "157.50"
    assert value("TaxTotalAmount") == "13.48"
    assert value("TaxInclusiveTotalAmount") == "170.98"
    assert (value("InvoiceClerk"), value("Payee"), value("Checker")) == ("王芳", "李四", "赵六")
    assert value("Note") == "合同编号：HT202512345"
    assert value("GraphCode") == qr.of_invoice(invoice)
    goods = root.findall(f"{FP}GoodsInfos/{FP}GoodsInfo")
    assert [g.findtext(f"{FP}Item") for g in goods] == [item.name for item in invoice.items]
    assert [g.findtext(f"{FP}TaxScheme") for g in goods] == ["6%", "13%"]
    assert [g.findtext(f"{FP}Amount") for g in goods] == ["100.00", "57.50"]


@pytest.mark.parametrize("type_code", ["32", "10"])
def test_qr_image_decodes_to_the_payload(type_code):
    invoice = factories.invoice(type=type_code)
    archive = package(invoice)
    assert qr_image_text(archive) == [qr.of_invoice(invoice)]
    image = next(parse(archive, "Doc_0/Pages/Page_0/Content.xml").iter(f"{OFD}ImageObject"))
    if type_code == "32":
        assert image.get("Boundary") == "6.5 6 20 20"


def test_qr_payload_override_reaches_image_and_graph_code():
    invoice = factories.invoice("10")
    payload = qr.build(
        "10", invoice.code, invoice.number, Decimal("1.00"), invoice.issue_date, invoice.check_code
    )
    archive = package(invoice, qr_payload=payload)
    assert qr_image_text(archive) == [payload]
    root = parse(archive, "Doc_0/Attachs/original_invoice.xml")
    assert root.findtext(f"{FP}GraphCode") == payload


def test_object_ids_are_unique_and_below_max_unit_id():
    archive = package(factories.invoice("32", remarks="合同编号：HT202512345"))
    ids = []
    for name in ("Doc_0/Pages/Page_0/Content.xml", "Doc_0/Tpls/Tpl_0/Content.xml"):
        ids += [int(e.get("ID")) for e in parse(archive, name).iter() if e.get("ID")]
    assert len(ids) == len(set(ids))
    assert max(ids) <= int(parse(archive, "Doc_0/Document.xml").findtext(f"{OFD}CommonData/{OFD}MaxUnitID"))


def test_every_part_parses_and_points_at_existing_files():
    archive = package(factories.invoice("10"))
    names = set(archive.namelist())
    for name in names:
        if name.endswith(".xml"):
            parse(archive, name)
    assert parse(archive, "OFD.xml").findtext(f"{OFD}DocBody/{OFD}DocRoot") in names
    document = parse(archive, "Doc_0/Document.xml")
    for element in document.iter():
        location = element.get("BaseLoc") or (
            element.text if element.tag.endswith(("Res", "Attachments")) else None
        )
        if location:
            assert f"Doc_0/{location}" in names


def test_same_invoice_same_bytes_with_the_issue_date_as_timestamp():
    invoice = factories.invoice("32", serial=77)
    assert render_ofd(invoice) == render_ofd(invoice)
    stamps = {info.date_time for info in package(invoice).infolist()}
    assert stamps == {(2025, 3, 7, 0, 0, 0)}
    later = invoice.replace(issue_date=datetime.date(2025, 3, 8))
    assert render_ofd(later) != render_ofd(invoice)
