"""The certificate page: one page, its text, its QR code, its Chinese font."""

from pathlib import Path

import pypdfium2
import pytest
import reportlab
import zxingcpp

from yanpiao.certificates import pdf, services


@pytest.fixture
def fresh_font():
    """Let the test choose the Chinese font anew, and the next test too."""
    pdf.chinese_font.cache_clear()
    yield
    pdf.chinese_font.cache_clear()


def page_of(data: bytes):
    document = pypdfium2.PdfDocument(data)
    assert len(document) == 1
    return document[0]


def text_of(data: bytes) -> str:
    return page_of(data).get_textpage().get_text_range()


def test_the_page_shows_outcome_invoice_time_and_verification_id(verify):
    row = verify()
    text = text_of(services.issue(None, row))
    for shown in (
        pdf.TITLE,
        "Invoice verification certificate",
        "authentic",
        "查验一致",
        str(row.public_id),
        services.local_time(row.created_at),
        "+08:00",
        "北京京华数据科技有限公司",
        "170.98",
        "壹佰柒拾圆玖角捌分",
    ):
        assert shown in text, shown


def test_a_mismatch_names_the_differing_fields_and_shows_nothing_of_the_registered_invoice(verify):
    row = verify(amount="999.00")
    assert row.outcome == "mismatch"
    text = text_of(services.issue(None, row))
    assert "不一致项目" in text and "合计金额" in text
    assert "reveals nothing of the registered invoice" in text
    assert "北京京华数据科技有限公司" not in text and "170.98" not in text


def test_the_qr_code_points_at_the_online_check(verify):
    row = verify()
    image = page_of(services.issue(None, row)).render(scale=3).to_pil()
    payloads = [found.text for found in zxingcpp.read_barcodes(image)]
    assert payloads == [services.check_url(row.public_id)]
    assert f"/api/v1/certificates/{row.public_id}?key=" in payloads[0]


def test_without_a_system_font_the_built_in_song_font_is_used(monkeypatch, fresh_font):
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    assert pdf.chinese_font() == pdf.FALLBACK_FONT


def test_a_truetype_font_found_on_the_system_is_embedded(monkeypatch, fresh_font, verify):
    # reportlab's own Vera stands in for a Chinese TrueType font: the same path, always present.
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (("/nonexistent/font.ttc", 0), (str(vera), 0)))
    assert pdf.chinese_font() == "YanpiaoCJK-Vera"
    data = services.issue(None, verify())
    assert b"/FontFile2" in data


def test_a_font_reportlab_cannot_embed_is_passed_over(monkeypatch, fresh_font, tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ((str(broken), 0),))
    assert pdf.chinese_font() == pdf.FALLBACK_FONT


def test_long_text_is_wrapped_between_words_and_between_chinese_characters():
    font = pdf.chinese_font()
    lines = pdf._lines(
        "本凭证带有验票的电子签名 and a long English sentence that goes on", 10, 120, font, pdf.LATIN
    )
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == "本凭证带有验票的电子签名andalongEnglishsentencethatgoeson"
    assert all(pdf._width(line, 10, font, pdf.LATIN) <= 120 for line in lines)
