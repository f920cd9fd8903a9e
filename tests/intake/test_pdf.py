"""PDF intake on small PDFs built here: text layer, embedded and drawn QR codes, refusals, fuzzing."""

from __future__ import annotations

import datetime
import io
import re
import statistics
import time
from pathlib import Path
from unittest import mock

import pypdf
import pypdfium2 as pdfium
import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from tests import factories
from tests.intake import hostile
from yanpiao.intake import ocr, pdf, qr_image, reader
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import Limits, RefusedDocument

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))

PAYLOAD = "01,32,,26427000000375586818,10.70,20260430,,FAFB"
INVOICE = {
    "title": "电子发票（普通发票）",
    "number": "26427000000375586818",
    "date": "2026年04月30日",
    "buyer": "张三",
    "seller": "北京京华数据科技有限公司",
    "seller_tax_id": "91110108MA01ABCD2H",
    "total": "10.70",
    "words": "壹拾圆柒角整",
}
WIDTH, HEIGHT = 210 * mm, 140 * mm


def qr_png(payload: str, scale: int = 4) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def _text(pdf_canvas: canvas.Canvas, x: float, y: float, text: str, size: float = 9) -> None:
    """Text at (x, y) mm from the top left.  A lone CJK character gets a trailing space: pdfium's
    text layer drops one-character strings of the non-embedded STSong-Light font."""
    pdf_canvas.setFont("STSong-Light", size)
    pdf_canvas.drawString(x * mm, HEIGHT - y * mm, text + " " if len(text) == 1 else text)


def _vector_qr(pdf_canvas: canvas.Canvas, payload: str) -> None:
    """The QR code drawn as rectangles, not as an image: only a render of the page shows it."""
    matrix = segno.make(payload, error="m", micro=False).matrix
    module = 20 * mm / (len(matrix) + 4)
    pdf_canvas.setFillColorRGB(0, 0, 0)
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                x = 6.5 * mm + (col + 2) * module
                y = HEIGHT - 6 * mm - (row + 3) * module
                pdf_canvas.rect(x, y, module, module, stroke=0, fill=1)


def draw_invoice(
    pdf_canvas: canvas.Canvas, qr: str | None = PAYLOAD, vector_qr: bool = False, **overrides
) -> None:
    """One 数电 普票 page: QR top left, parties left/right with one-character labels, items, totals."""
    v = {**INVOICE, **overrides}
    if qr and vector_qr:
        _vector_qr(pdf_canvas, qr)
    elif qr:
        pdf_canvas.drawImage(
            ImageReader(io.BytesIO(qr_png(qr))), 6.5 * mm, HEIGHT - 26 * mm, 20 * mm, 20 * mm
        )
    _text(pdf_canvas, 60, 14, v["title"], 16)
    _text(pdf_canvas, 150, 12, "发票号码：")
    _text(pdf_canvas, 168, 12, v["number"])
    _text(pdf_canvas, 150, 18, "开票日期：")
    _text(pdf_canvas, 168, 18, v["date"])
    for i, char in enumerate("购买方信息"):
        _text(pdf_canvas, 6, 34 + 4 * i, char)
    for i, char in enumerate("销售方信息"):
        _text(pdf_canvas, 106, 34 + 4 * i, char)
    _text(pdf_canvas, 12, 36, "名称：")
    _text(pdf_canvas, 22, 36, v["buyer"])
    _text(pdf_canvas, 112, 36, "名称：")
    _text(pdf_canvas, 122, 36, v["seller"])
    _text(pdf_canvas, 112, 46, "统一社会信用代码/纳税人识别号：")
    _text(pdf_canvas, 165, 46, v["seller_tax_id"])
    headers = (15, "项目名称"), (50, "规格型号"), (75, "单 位"), (95, "数 量"), (115, "单 价"), (140, "金 额")
    for x, label in (*headers, (160, "税率/征收率"), (185, "税 额")):
        _text(pdf_canvas, x, 62, label)
    line = (
        (8, "*餐饮服务*餐费"),
        (77, "次"),
        (98, "1"),
        (115, "10.09"),
        (140, "10.09"),
        (163, "6%"),
        (186, "0.61"),
    )
    for x, value in line:
        _text(pdf_canvas, x, 67, value)
    for x, value in ((20, "合"), (40, "计"), (135, "¥10.09"), (182, "¥0.61")):
        _text(pdf_canvas, x, 100, value)
    _text(pdf_canvas, 15, 108, "价税合计（大写）")
    _text(pdf_canvas, 60, 108, v["words"])
    _text(pdf_canvas, 140, 108, "（小写）")
    _text(pdf_canvas, 155, 108, "¥" + v["total"])
    _text(pdf_canvas, 6, 116, "备")
    _text(pdf_canvas, 6, 122, "注")
    _text(pdf_canvas, 15, 116, "订单号：12345")
    _text(pdf_canvas, 15, 134, "开票人：")
    _text(pdf_canvas, 30, 134, "王芳")


def build_pdf(*pages: dict, compress: int = 1) -> bytes:
    """A PDF with one invoice page per dict of :func:`draw_invoice` arguments."""
    out = io.BytesIO()
    pdf_canvas = canvas.Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=1, pageCompression=compress)
    for page in pages or ({},):
        draw_invoice(pdf_canvas, **page)
        pdf_canvas.showPage()
    pdf_canvas.save()
    return out.getvalue()


def text_pdf(lines: list[str]) -> bytes:
    out = io.BytesIO()
    pdf_canvas = canvas.Canvas(out, pagesize=(595, 842), invariant=1)
    for i, line in enumerate(lines):
        pdf_canvas.setFont("STSong-Light", 16 if i == 0 else 10)
        pdf_canvas.drawString(60, 780 - 30 * i, line)
    pdf_canvas.save()
    return out.getvalue()


def scanned_pdf(picture: Image.Image) -> bytes:
    """A PDF page that is one image and no text, as a scanner makes it."""
    out = io.BytesIO()
    pdf_canvas = canvas.Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=1)
    pdf_canvas.drawImage(ImageReader(picture), 0, 0, WIDTH, HEIGHT)
    pdf_canvas.save()
    return out.getvalue()


# --- reading -------------------------------------------------------------------------------------


def test_reads_text_layer_and_embedded_qr():
    extraction = pdf.read(build_pdf())
    assert extraction.format == "pdf"
    [candidate] = extraction.candidates
    assert candidate.page == 1
    assert candidate.qr == {
        "type": "32",
        "number": "26427000000375586818",
        "issue_date": "2026-04-30",
        "total": "10.70",
    }
    f = candidate.fields
    assert (f["type"], f["number"], f["issue_date"], f["total"]) == (
        "32",
        "26427000000375586818",
        "2026-04-30",
        "10.70",
    )
    assert f["buyer"] == {"name": "张三"}
    assert f["seller"] == {"name": "北京京华数据科技有限公司", "tax_id": "91110108MA01ABCD2H"}
    assert (f["amount"], f["tax"], f["total_in_words"], f["drawer"]) == (
        "10.09",
        "0.61",
        "壹拾圆柒角整",
        "王芳",
    )
    assert f["items"] == [
        {"name": "*餐饮服务*餐费", "unit": "次", "quantity": "1", "unit_price": "10.09", "amount": "10.09",
         "tax_rate": "0.06", "tax": "0.61"}
    ]  # fmt: skip
    assert f["remarks"] == "订单号:12345"
    assert candidate.sources["number"] == "text" and candidate.sources["seller.name"] == "text"
    assert candidate.findings == []
    assert candidate.has_key and candidate.query().total == "10.70"


def test_reader_dispatches_pdfs_here():
    assert reader.extract(build_pdf()).candidates[0].get("number") == "26427000000375586818"


def test_text_that_disagrees_with_the_qr_code_is_flagged():
    [candidate] = pdf.read(build_pdf({"total": "10.80", "words": "壹拾圆捌角整"})).candidates
    assert candidate.qr["total"] == "10.70"
    assert candidate.fields["total"] == "10.80"
    rules = {(f.rule, f.field) for f in candidate.findings}
    assert ("consistency.qr_text", "total") in rules
    assert ("arithmetic.total", "total") in rules


def test_one_candidate_per_invoice_page():
    second = "01,31,,26442000004359167806,1705400.00,20260421,,8EEF"
    data = build_pdf(
        {},
        {
            "qr": second,
            "title": "电子发票（增值税专用发票）",
            "number": "26442000004359167806",
            "date": "2026年04月21日",
        },
    )
    candidates = pdf.read(data).candidates
    assert [(c.page, c.get("number"), c.get("type")) for c in candidates] == [
        (1, "26427000000375586818", "32"),
        (2, "26442000004359167806", "31"),
    ]
    assert candidates[1].qr["total"] == "1705400.00"


def test_a_page_repeating_an_invoice_without_its_own_qr_code_is_not_a_second_invoice():
    assert [c.page for c in pdf.read(build_pdf({}, {"qr": None})).candidates] == [1]


def test_a_qr_code_drawn_as_vectors_is_read_from_a_render():
    [candidate] = pdf.read(build_pdf({"vector_qr": True})).candidates
    assert candidate.qr["number"] == "26427000000375586818"
    assert candidate.sources["number"] == "text"


def test_without_a_qr_code_the_text_gives_the_key():
    [candidate] = pdf.read(build_pdf({"qr": None})).candidates
    assert candidate.qr == {}
    assert candidate.has_key
    assert candidate.query().total == "10.70"


def test_a_scanned_pdf_goes_through_the_image_path():
    page = Image.new("RGB", (1190, 794), "white")
    page.paste(Image.open(io.BytesIO(qr_png(PAYLOAD, scale=5))), (40, 40))
    [candidate] = pdf.read(scanned_pdf(page)).candidates
    assert candidate.page == 1
    assert candidate.qr["number"] == "26427000000375586818"
    assert candidate.sources["total"] == "qr"


# --- refusals ------------------------------------------------------------------------------------


def test_an_encrypted_pdf_is_refused():
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(build_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner")  # RC4: no cryptography needed
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(out.getvalue())
    assert refused.value.reason == "encrypted"
    assert "password" in refused.value.message


def test_a_pdf_restricted_only_by_an_owner_password_is_read():
    # Decision: such a PDF opens without a password (it only restricts printing or copying),
    # so nothing is hidden from the reader; only PDFs that need a password are refused.
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(build_pdf())))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    assert pdf.read(out.getvalue()).candidates[0].get("number") == "26427000000375586818"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_pdf_is_malformed(keep):
    data = build_pdf()
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(data[: int(len(data) * keep)])
    assert refused.value.reason == "malformed"


def test_a_text_file_named_pdf_is_not_read_as_a_pdf():
    with pytest.raises(RefusedDocument) as refused:
        reader.extract("发票号码 26427000000375586818\n".encode())
    assert refused.value.reason == "not_supported"
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(b"%PDF-1.7\nthis is not a PDF\n%%EOF\n")
    assert refused.value.reason == "malformed"


def test_too_many_pages_are_refused_before_reading_them():
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(build_pdf({}, {}, {}), Limits(max_pdf_pages=2))
    assert refused.value.reason == "too_large"
    assert "3 pages" in refused.value.message


def test_an_embedded_image_beyond_the_pixel_limit_is_refused_unread():
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(595, 842)
    image = pypdf.generic.StreamObject()
    image.set_data(b"\x00" * 16)
    image.update(
        {
            pypdf.generic.NameObject("/Type"): pypdf.generic.NameObject("/XObject"),
            pypdf.generic.NameObject("/Subtype"): pypdf.generic.NameObject("/Image"),
            pypdf.generic.NameObject("/Width"): pypdf.generic.NumberObject(100_000),
            pypdf.generic.NameObject("/Height"): pypdf.generic.NumberObject(100_000),
            pypdf.generic.NameObject("/ColorSpace"): pypdf.generic.NameObject("/DeviceGray"),
            pypdf.generic.NameObject("/BitsPerComponent"): pypdf.generic.NumberObject(8),
        }
    )
    page[pypdf.generic.NameObject("/Resources")] = pypdf.generic.DictionaryObject(
        {
            pypdf.generic.NameObject("/XObject"): pypdf.generic.DictionaryObject(
                {pypdf.generic.NameObject("/Im0"): writer._add_object(image)}
            )
        }
    )
    content = pypdf.generic.StreamObject()
    content.set_data(b"q 100 0 0 100 0 0 cm /Im0 Do Q")
    page[pypdf.generic.NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    started = time.perf_counter()
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(out.getvalue())
    assert refused.value.reason == "too_large"
    assert time.perf_counter() - started < 2


def test_a_pdf_that_is_not_an_invoice_is_refused_with_its_title():
    data = text_pdf(
        [
            "货物运输电子货票收款凭证",
            "托运人名称 北京示例科技有限公司",
            "费用合计：CNY661.00",
            "申请日期 2020-10-30",
        ]
    )
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(data)
    assert refused.value.reason == "not_invoice"
    assert "货物运输电子货票收款凭证" in refused.value.message


def test_a_receipt_titled_page_with_a_number_label_is_still_not_an_invoice():
    data = text_pdf(["收款凭证", "发票号码：12345678", "开票日期：2020年10月30日"])
    with pytest.raises(RefusedDocument) as refused:
        pdf.read(data)
    assert refused.value.reason == "not_invoice"


# --- speed and fuzzing ---------------------------------------------------------------------------


def test_a_text_pdf_with_an_embedded_qr_reads_fast():
    data = build_pdf()
    pdf.read(data)
    times = []
    for _ in range(7):
        started = time.perf_counter()
        pdf.read(data)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.25  # 50 ms on an idle machine; slack for a loaded CI


FUZZ_PDF = build_pdf(
    {"qr": "01,10,012001800211,23326471,734.59,20180921,16707184549009707698,B7D0,"}, compress=0
)


@settings(
    max_examples=60,
    deadline=datetime.timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(
    cut=st.integers(min_value=0, max_value=len(FUZZ_PDF)),
    flips=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(FUZZ_PDF) - 1), st.integers(min_value=0, max_value=255)
        ),
        max_size=12,
    ),
    truncate=st.booleans(),
)
def test_damaged_pdfs_are_read_or_refused_never_crash(cut, flips, truncate):
    data = bytearray(FUZZ_PDF)
    for position, value in flips:
        data[position] = value
    if truncate:
        data = data[:cut]
    # The OCR engine is tested elsewhere; here only the PDF handling is under test.
    with mock.patch.object(ocr, "recognise", return_value=[]):
        try:
            result = reader.extract(bytes(data))
        except RefusedDocument as refused:
            assert refused.reason in ("malformed", "not_invoice", "too_large", "not_supported", "encrypted")
        else:
            assert isinstance(result, Extraction)


# --- a text layer without Unicode: read the rendered page by OCR -------------------------------------

ZENHEI = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def unmapped_pdf(invoice) -> bytes:
    """The invoice's page drawn in an embedded TrueType font whose ToUnicode map is taken out, as some
    producers write them: the glyphs render, but pdfium extracts control characters for the Chinese."""
    from reportlab.pdfbase.ttfonts import TTFont

    from yanpiao.documents import layout

    pdfmetrics.registerFont(TTFont("ZenHei", str(ZENHEI), subfontIndex=0))
    page = layout.page_for(invoice)
    out = io.BytesIO()
    pdf_canvas = canvas.Canvas(out, pagesize=(layout.PAGE_WIDTH * mm, layout.PAGE_HEIGHT * mm), invariant=1)
    for text in page.texts:
        pdf_canvas.setFont("ZenHei", text.size * mm)
        pdf_canvas.drawString(text.x * mm, (layout.PAGE_HEIGHT - text.y - text.baseline) * mm, text.text)
    pdf_canvas.showPage()
    pdf_canvas.save()
    return re.sub(rb"/ToUnicode \d+ 0 R", lambda m: b" " * len(m.group(0)), out.getvalue())


@pytest.mark.skipif(not ZENHEI.is_file(), reason=f"the test PDF embeds {ZENHEI} (Debian: fonts-wqy-zenhei)")
def test_a_text_layer_without_unicode_is_read_by_ocr_from_the_rendered_page():
    invoice = factories.invoice("32")
    data = unmapped_pdf(invoice)
    layer = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    assert "发票" not in layer and "\x01" in layer  # the trap: the labels are gone from the text layer
    [candidate] = reader.extract(data).candidates
    assert (candidate.get("number"), candidate.get("issue_date"), candidate.get("total")) == (
        invoice.number,
        "2025-03-07",
        str(invoice.total),
    )
    assert candidate.sources["number"] == "ocr" and candidate.qr == {}


# --- the budget of work: small files that would cost minutes ---------------------------------------


def refused_as_too_costly(data: bytes, limits: Limits) -> RefusedDocument:
    with pytest.raises(RefusedDocument) as refused:
        reader.extract(data, limits)
    assert refused.value.reason == "too_costly", refused.value.message
    return refused.value


@pytest.fixture
def no_ocr():
    """OCR that reads nothing (the engine is tested elsewhere), counting its runs."""
    with (
        mock.patch.object(ocr, "recognise", return_value=[]) as recognise,
        mock.patch.object(ocr, "orientation", return_value=0),
    ):
        yield recognise


def test_a_page_drawing_a_large_image_many_times_stops_at_the_page_pixel_budget(no_ocr):
    data = hostile.image_pdf(pages=5, side=800, draws=12)  # 640,000 pixels drawn 12 times a page
    with mock.patch.object(pdf, "_pil", wraps=pdf._pil) as decoded:
        refused = refused_as_too_costly(data, Limits(max_page_pixels=2_000_000))
    assert "page 1" in refused.message and "max_page_pixels" in refused.message
    assert decoded.call_count <= 3  # the images beyond the budget were never decoded
    assert no_ocr.call_count == 0


def test_pages_of_images_stop_at_the_document_pixel_budget(no_ocr):
    data = hostile.image_pdf(pages=20, side=800, draws=1)
    with mock.patch.object(pdf, "_pil", wraps=pdf._pil) as decoded:
        refused = refused_as_too_costly(data, Limits(max_document_pixels=3_000_000))
    assert "max_document_pixels" in refused.message
    assert decoded.call_count < 10


def test_blank_pages_stop_at_the_ocr_budget(no_ocr):
    refused = refused_as_too_costly(hostile.blank_pdf(pages=50, dot=True), Limits(max_ocr_runs=3))
    assert "max_ocr_runs" in refused.message
    assert no_ocr.call_count == 3


def test_blank_pages_stop_at_the_render_budget(no_ocr):
    real = pdfium.PdfPage.render
    with mock.patch.object(pdfium.PdfPage, "render", autospec=True, side_effect=real) as rendered:
        refused = refused_as_too_costly(
            hostile.blank_pdf(pages=50), Limits(max_rendered_pages=4, max_ocr_runs=50)
        )
    assert "max_rendered_pages" in refused.message
    assert rendered.call_count == 4


def test_the_clock_is_checked_between_pages(no_ocr, monkeypatch):
    from yanpiao.intake import budget

    ticks = iter(range(10_000))
    monkeypatch.setattr(budget, "clock", lambda: float(next(ticks)))  # a second passes at every look
    with mock.patch.object(pdf, "_read_page", wraps=pdf._read_page) as pages:
        refused = refused_as_too_costly(hostile.blank_pdf(pages=50), Limits(max_seconds=20))
    assert "max_seconds" in refused.message
    assert pages.call_count < 20


def test_a_huge_page_is_rendered_within_the_page_pixel_budget_whatever_its_user_unit(no_ocr):
    sizes = []

    def render(page, *args, **kwargs):
        picture = real_render(page, *args, **kwargs)
        sizes.append(picture.size)
        return picture

    real_render = pdf._render
    with mock.patch.object(pdf, "_render", render), pytest.raises(RefusedDocument) as refused:
        reader.extract(hostile.huge_page_pdf(side=14400, user_unit=75000), Limits(max_page_pixels=1_000_000))
    assert refused.value.reason == "not_invoice"
    assert sizes and all(width * height <= 1_000_000 for width, height in sizes)


def test_the_ocr_reads_a_copy_of_at_most_two_megapixels():
    """The detector's memory grows with its input (some 250 bytes a pixel): a square page rendered
    3000 pixels a side would cost more than 600 MB at the 1800-pixel side that bounded it before."""
    seen = []
    with (
        mock.patch.object(ocr, "recognise", side_effect=lambda picture: seen.append(picture.size) or []),
        mock.patch.object(ocr, "orientation", return_value=0),
        pytest.raises(RefusedDocument),
    ):
        reader.extract(hostile.huge_page_pdf(side=14400, user_unit=75000))
    assert seen and all(width * height <= 2_000_000 for width, height in seen)


def test_blank_pages_are_neither_searched_for_a_qr_code_nor_read_by_ocr(no_ocr):
    with mock.patch.object(qr_image, "find_payloads", wraps=qr_image.find_payloads) as searched:
        refused = refused_as_too_costly(hostile.blank_pdf(pages=50), Limits())
    assert "max_rendered_pages" in refused.message
    assert searched.call_count == 0 and no_ocr.call_count == 0
