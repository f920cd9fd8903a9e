"""The rendered PDF: a text layer with the invoice's fields, an embedded QR code, fixed bytes."""

import io
from decimal import Decimal

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from tests import factories
from yanpiao.documents import layout
from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao import qr
from yanpiao.fapiao.invoice import Item

TYPES = ("32", "31", "10", "01", "04", "11", "14", "20")


def text_layer(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def embedded_qr_codes(data: bytes) -> list[str]:
    """Decode the QR code from the embedded image itself, without rendering the page."""
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    texts = []
    for image in page.images:
        picture = np.array(Image.open(io.BytesIO(image.data)).convert("L"))
        texts += [r.text for r in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)]
    return texts


@pytest.mark.parametrize("type_code", TYPES)
def test_text_layer_carries_the_printed_fields(type_code):
    invoice = factories.invoice(type=type_code, remarks="合同编号：HT202512345")
    text = text_layer(render_pdf(invoice))
    for expected in (
        invoice.number,
        "2025年03月07日",
        invoice.seller.name,
        invoice.buyer.name,
        "¥170.98",
        "壹佰柒拾圆玖角捌分",
        "*信息技术服务*软件服务费",
        "13%",
        "合同编号：HT202512345",
        invoice.drawer,
    ):
        assert expected in text, expected


def test_titles_follow_the_type_and_the_region_of_the_code():
    assert "电子发票（普通发票）" in text_layer(render_pdf(factories.invoice("32")))
    assert "电子发票（增值税专用发票）" in text_layer(render_pdf(factories.invoice("31")))
    old = text_layer(render_pdf(factories.invoice("10")))
    assert "北京增值税电子普通发票" in old
    for label in ("机器编号", "发票代码", "校 验 码", "密", "收 款 人", "复 核"):
        assert label in old


def test_old_layout_prints_code_check_code_and_party_details():
    invoice = factories.invoice("10", buyer=factories.SELLER)
    text = text_layer(render_pdf(invoice))
    assert invoice.code in text
    assert layout.grouped(invoice.check_code) in text
    assert invoice.machine_no in text
    for value in (invoice.buyer.address, invoice.buyer.phone, invoice.buyer.bank, invoice.buyer.account):
        assert value in text


def test_single_characters_survive_text_extraction():
    """pdfium drops one-character runs of STSong-Light unless something follows them."""
    text = text_layer(render_pdf(factories.invoice("32")))
    assert "次" in text
    assert "备" in text and "注" in text


@pytest.mark.parametrize("type_code", TYPES)
def test_embedded_qr_decodes_to_the_payload_of_the_invoice(type_code):
    invoice = factories.invoice(type=type_code)
    amount = invoice.total if type_code in ("31", "32") else invoice.amount
    expected = qr.build(
        type_code, invoice.code, invoice.number, amount, invoice.issue_date, invoice.check_code
    )
    assert embedded_qr_codes(render_pdf(invoice)) == [expected]


def test_qr_payload_override():
    invoice = factories.invoice("32")
    payload = qr.build("32", "", invoice.number, Decimal("1.00"), invoice.issue_date)
    assert embedded_qr_codes(render_pdf(invoice, qr_payload=payload)) == [payload]


def test_red_letter_invoice_prints_negative_amounts_and_the_negative_words():
    red = factories.red_letter(factories.invoice("32"))
    text = text_layer(render_pdf(red))
    assert "¥-170.98" in text
    assert "（负数）壹佰柒拾圆玖角捌分" in text
    assert "-100.00" in text
    assert "被红冲蓝字数电发票号码" in text


def test_exempt_lines_print_the_word_and_stars():
    line = Item(
        name="*研发和技术服务*研发服务", amount=Decimal("300.00"), tax_rate="exempt", tax=Decimal("0.00")
    )
    text = text_layer(render_pdf(factories.invoice("32", items=(line,))))
    assert "免税" in text and "***" in text


def test_page_is_210_by_140_mm():
    document = pdfium.PdfDocument(render_pdf(factories.invoice("32")))
    width, height = document[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 140)


def test_same_invoice_same_bytes():
    invoice = factories.invoice("10", serial=4242)
    assert render_pdf(invoice) == render_pdf(invoice)
    assert render_pdf(invoice) != render_pdf(invoice.replace(drawer="李四"))


def test_long_values_are_shrunk_to_fit_their_column():
    name = "*经纪代理服务*国内货物运输代理服务"
    invoice = factories.invoice("32", items=(factories.item("100.00", name=name), factories.item("5.00")))
    page = layout.page_for(invoice)
    (run,) = [t for t in page.texts if t.field == "items[0].name"]
    assert run.x + run.width <= layout.DIGITAL_COLUMNS["name"][1]
    assert name in text_layer(render_pdf(invoice))


def test_names_too_long_for_a_small_size_wrap_onto_the_next_row():
    name = "*经纪代理服务*国内货物运输代理服务及相关仓储装卸搬运和代理报关服务"
    invoice = factories.invoice("32", items=(factories.item("100.00", name=name), factories.item("5.00")))
    page = layout.page_for(invoice)
    runs = [t for t in page.texts if t.field == "items[0].name"]
    assert len(runs) >= 2 and "".join(t.text for t in runs) == name
    assert all(t.x + t.width <= layout.DIGITAL_COLUMNS["name"][1] for t in runs)
    (second_line,) = [t for t in page.texts if t.field == "items[1].name"]
    assert second_line.y > runs[-1].y
    assert name in text_layer(render_pdf(invoice)).replace("\r\n", "")
