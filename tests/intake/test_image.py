"""Image intake: QR codes in photos and scans, size and damage refusals, EXIF, OCR engine, fuzzing."""

from __future__ import annotations

import datetime
import io
import statistics
import struct
import subprocess
import sys
import threading
import time
import zlib
from unittest import mock

import cv2
import numpy as np
import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from tests import factories
from tests.intake import hostile
from tests.support.photo import renders_cjk, simulate_photo, turned, without_qr
from yanpiao.intake import image, ocr, qr_image, reader
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import Limits, RefusedDocument

PAYLOAD = "01,32,,26427000000375586818,10.70,20260430,,FAFB"
OTHER = "01,10,012001800211,23326471,734.59,20180921,16707184549009707698,B7D0,"


def qr_picture(payload: str = PAYLOAD, scale: int = 4) -> Image.Image:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return Image.open(out).convert("L")


def encode(picture: Image.Image | np.ndarray, kind: str = "PNG", **options) -> bytes:
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    out = io.BytesIO()
    picture.save(out, kind, **options)
    return out.getvalue()


def page_with_qr(payload: str = PAYLOAD, size: tuple[int, int] = (1600, 1100), scale: int = 4) -> np.ndarray:
    """A white page with the QR code at the top left, where invoices print it."""
    page = np.full((size[1], size[0]), 255, np.uint8)
    code = np.asarray(qr_picture(payload, scale))
    page[60 : 60 + code.shape[0], 60 : 60 + code.shape[1]] = code
    return page


def photograph(page: np.ndarray, angle: float, blur: float, seed: int = 1) -> np.ndarray:
    """The page turned, warped, blurred and noisy, as a phone camera sees it."""
    rng = np.random.default_rng(seed)
    quarter_turns = round(angle / 90)
    page = np.ascontiguousarray(np.rot90(page, quarter_turns))
    height, width = page.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle - 90 * quarter_turns, 0.9)
    page = cv2.warpAffine(page, turn, (width, height), borderValue=120)
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    jitter = (corners + rng.uniform(-0.03, 0.03, corners.shape) * [width, height]).astype(np.float32)
    page = cv2.warpPerspective(
        page, cv2.getPerspectiveTransform(corners, jitter), (width, height), borderValue=120
    )
    page = cv2.GaussianBlur(page, (0, 0), blur)
    noisy = page.astype(np.float32) + rng.normal(0, 6, page.shape)
    return noisy.clip(0, 255).astype(np.uint8)


# --- QR codes ------------------------------------------------------------------------------------


def test_a_qr_only_png_gives_the_key_fields():
    extraction = image.read(encode(qr_picture()))
    assert extraction.format == "image"
    [candidate] = extraction.candidates
    assert candidate.qr == {
        "type": "32",
        "number": "26427000000375586818",
        "issue_date": "2026-04-30",
        "total": "10.70",
    }
    assert candidate.sources == {name: "qr" for name in candidate.qr}
    assert candidate.has_key


def test_reader_dispatches_images_here():
    assert reader.extract(encode(qr_picture())).candidates[0].qr["number"] == "26427000000375586818"


@pytest.mark.parametrize(
    ("angle", "blur", "scale"),
    [(0, 0.5, 4), (7, 1.0, 4), (-12, 1.4, 5), (90, 0.8, 4), (180, 0.8, 4), (33, 1.0, 4), (3, 0.6, 2)],
)
def test_qr_codes_in_photographed_pages(angle, blur, scale):
    photo = photograph(page_with_qr(scale=scale), angle, blur)
    assert qr_image.find_payloads(photo) == [PAYLOAD]
    jpeg = encode(photo, "JPEG", quality=60)
    assert image.read(jpeg, ocr_content=False).candidates[0].qr["total"] == "10.70"


def test_a_tiny_low_resolution_qr_code_is_scaled_up():
    page = page_with_qr(scale=2, size=(900, 600))
    small = cv2.resize(page, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    assert qr_image.find_payloads(cv2.GaussianBlur(small, (0, 0), 0.7)) == [PAYLOAD]


def test_a_huge_scan_is_searched_scaled_down():
    page = page_with_qr(scale=16, size=(5000, 3500))
    assert qr_image.find_payloads(page) == [PAYLOAD]


def test_two_invoices_on_one_scan_give_two_candidates():
    page = np.full((1400, 1000), 255, np.uint8)
    for top, payload in ((40, PAYLOAD), (760, OTHER)):
        code = np.asarray(qr_picture(payload))
        page[top : top + code.shape[0], 40 : 40 + code.shape[1]] = code
    candidates = image.read(encode(page), ocr_content=False).candidates
    assert sorted(c.qr["number"] for c in candidates) == ["23326471", "26427000000375586818"]


def test_qr_codes_that_are_not_invoices_are_ignored():
    assert qr_image.find_payloads(np.asarray(qr_picture("https://example.com/shop?id=1"))) == []
    with mock.patch.object(ocr, "recognise", return_value=[]), pytest.raises(RefusedDocument) as refused:
        image.read(encode(qr_picture("https://example.com/shop?id=1")))
    assert refused.value.reason == "not_invoice"


def test_an_altered_qr_payload_keeps_its_crc_finding():
    altered = "01,32,,26427000000375586818,10.71,20260430,,FAFB"
    [candidate] = image.read(encode(qr_picture(altered)), ocr_content=False).candidates
    assert [f.rule for f in candidate.findings] == ["qr.crc"]


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "TIFF", "BMP"])
def test_every_supported_format(kind):
    picture = Image.fromarray(page_with_qr(size=(700, 500))).convert("RGB")
    assert (
        image.read(encode(picture, kind), ocr_content=False).candidates[0].qr["number"]
        == "26427000000375586818"
    )


def test_a_readable_qr_photo_is_decoded_fast():
    photo = Image.fromarray(photograph(page_with_qr(size=(2000, 1400)), 4, 0.8)).convert("RGB")
    qr_image.find_payloads(photo)
    times = []
    for _ in range(7):
        started = time.perf_counter()
        assert qr_image.find_payloads(photo) == [PAYLOAD]
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.5  # 150 ms on an idle machine; slack for a loaded CI


# --- refusals ------------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge image: nothing may be allocated for it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_an_image_beyond_the_pixel_limit_is_refused_from_its_header():
    started = time.perf_counter()
    with pytest.raises(RefusedDocument) as refused:
        image.read(png_header_only(9000, 9000))
    assert refused.value.reason == "too_large"
    assert "9000×9000" in refused.value.message
    assert time.perf_counter() - started < 1


def test_a_decompression_bomb_is_refused_even_with_a_generous_limit():
    with pytest.raises(RefusedDocument) as refused:
        image.read(png_header_only(30_000, 30_000), Limits(max_pixels=10**12))
    assert refused.value.reason == "too_large"


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_truncated_image_is_malformed(kind):
    data = encode(Image.fromarray(page_with_qr(size=(700, 500))), kind)
    with pytest.raises(RefusedDocument) as refused:
        image.read(data[: len(data) // 2])
    assert refused.value.reason == "malformed"


def test_garbage_after_an_image_header_is_malformed():
    with pytest.raises(RefusedDocument) as refused:
        image.read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert refused.value.reason == "malformed"


def test_an_unsupported_format_is_refused():
    with pytest.raises(RefusedDocument) as refused:
        image.read(encode(qr_picture(), "GIF"))
    assert refused.value.reason == "not_supported"


def test_a_blank_picture_is_not_an_invoice():
    with pytest.raises(RefusedDocument) as refused:
        image.read(encode(Image.new("RGB", (640, 480), "white")))
    assert refused.value.reason == "not_invoice"
    assert "not an invoice" in refused.value.message


def test_exif_orientation_is_applied():
    stored = Image.new("RGB", (300, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encode(stored, "JPEG", exif=exif.tobytes())
    assert image.open_image(data).size == (200, 300)


def test_a_sideways_phone_photo_still_gives_its_qr_code():
    stored = Image.fromarray(np.rot90(page_with_qr(size=(900, 600)))).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 8
    [candidate] = image.read(encode(stored, "JPEG", exif=exif.tobytes()), ocr_content=False).candidates
    assert candidate.qr["number"] == "26427000000375586818"


# --- the OCR engine --------------------------------------------------------------------------------


def test_the_ocr_engine_is_not_loaded_at_import():
    code = (
        "import sys, yanpiao.intake.image, yanpiao.intake.pdf, yanpiao.intake.ocr as ocr;"
        "assert ocr._engine is None; assert 'rapidocr_onnxruntime' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def words_picture(text: str) -> Image.Image:
    picture = Image.new("RGB", (520, 90), "white")
    ImageDraw.Draw(picture).text((20, 20), text, fill="black", font=ImageFont.load_default(size=40))
    return picture


def test_ocr_reads_text_boxes_with_positions_from_several_threads():
    picture = words_picture("No 87654321")
    results: list[list[ocr.TextBox]] = []
    threads = [threading.Thread(target=lambda: results.append(ocr.recognise(picture))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    [box] = [b for b in results[0] if "87654321" in b.text]
    assert 0 <= box.x0 < box.x1 <= 520 and 0 <= box.y0 < box.y1 <= 90
    assert 0.5 < box.score <= 1


# --- fuzzing -------------------------------------------------------------------------------------

FUZZ_PNG = encode(Image.fromarray(page_with_qr(size=(260, 200), scale=2)))


@settings(
    max_examples=80,
    deadline=datetime.timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(
    cut=st.integers(min_value=0, max_value=len(FUZZ_PNG)),
    flips=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(FUZZ_PNG) - 1), st.integers(min_value=0, max_value=255)
        ),
        max_size=8,
    ),
    truncate=st.booleans(),
)
def test_damaged_images_are_read_or_refused_never_crash(cut, flips, truncate):
    data = bytearray(FUZZ_PNG)
    for position, value in flips:
        data[position] = value
    if truncate:
        data = data[:cut]
    with mock.patch.object(ocr, "recognise", return_value=[]):
        try:
            result = reader.extract(bytes(data))
        except RefusedDocument as refused:
            assert refused.reason in ("malformed", "not_invoice", "too_large", "not_supported")
        else:
            assert isinstance(result, Extraction)


# --- photos taken sideways or upside down -----------------------------------------------------------

NO_CJK_FONT = "pdfium draws no Chinese without a CJK font (Debian: fonts-wqy-zenhei)"


@pytest.mark.slow
@pytest.mark.skipif(not renders_cjk(), reason=NO_CJK_FONT)
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_turned_photo_without_its_qr_code_is_read_upright_by_ocr(degrees):
    invoice = factories.invoice("10")
    photo = turned(without_qr(simulate_photo(invoice, seed=1)), degrees)
    [candidate] = image.read(photo).candidates
    assert candidate.qr == {}
    read = {name: candidate.get(name) for name in ("code", "number", "issue_date", "check_code")}
    assert read == {
        "code": invoice.code,
        "number": invoice.number,
        "issue_date": "2025-03-07",
        "check_code": invoice.check_code,
    }
    assert candidate.sources["number"] == "ocr"


@pytest.mark.skipif(not renders_cjk(), reason=NO_CJK_FONT)
@pytest.mark.parametrize(("degrees", "expected"), [(0, 0), (90, 270), (180, 180), (270, 90)])
def test_the_orientation_of_a_page_comes_from_its_text_lines(degrees, expected):
    upright = Image.open(io.BytesIO(simulate_photo(factories.invoice("32"), seed=2)))
    assert ocr.orientation(upright.rotate(degrees, expand=True)) == expected


def test_the_boxes_of_a_tilted_photo_are_levelled():
    line = [(0.0, 100.0), (400.0, 121.0), (399.0, 141.0), (-1.0, 120.0)]  # 3° down to the right
    boxes = [
        ocr.TextBox("发票号码", 0, 100, 400, 141, 1.0, tuple((x, y + 60 * i) for x, y in line))
        for i in range(3)
    ]
    assert round(ocr.skew(boxes)) == 3
    levelled = ocr.deskew(boxes, 800, 600)
    assert all(box.y1 - box.y0 < 25 for box in levelled)  # each box as thick as its line, not its slant


# --- the budget of work: a blank 6300×6300 PNG took 17.5 s -----------------------------------------


def refused_as_too_costly(data: bytes, limits: Limits) -> RefusedDocument:
    with pytest.raises(RefusedDocument) as refused:
        reader.extract(data, limits)
    assert refused.value.reason == "too_costly", refused.value.message
    return refused.value


def test_an_image_over_the_page_pixel_budget_is_refused_before_it_is_decoded():
    data = hostile.blank_png(side=1500)
    with mock.patch.object(Image.Image, "load", autospec=True) as load:
        refused = refused_as_too_costly(data, Limits(max_page_pixels=2_000_000))
    assert "1500×1500" in refused.message and "max_page_pixels" in refused.message
    assert load.call_count == 0


def test_an_image_needing_more_ocr_runs_than_the_budget_stops():
    """An image whose OCR finds no key field is turned and read again: two runs."""
    with (
        mock.patch.object(ocr, "recognise", return_value=[]) as recognise,
        mock.patch.object(ocr, "orientation", return_value=90),
    ):
        refused = refused_as_too_costly(hostile.blank_png(side=300, dot=True), Limits(max_ocr_runs=1))
    assert "max_ocr_runs" in refused.message
    assert recognise.call_count == 1


def test_the_clock_is_checked_between_the_views_of_the_qr_search(monkeypatch):
    from yanpiao.intake import budget

    ticks = iter(range(10_000))
    monkeypatch.setattr(budget, "clock", lambda: float(next(ticks)))  # a second passes at every look
    with (
        mock.patch.object(qr_image, "decode", wraps=qr_image.decode) as decoded,
        mock.patch.object(ocr, "recognise", return_value=[]) as recognise,
    ):
        refused = refused_as_too_costly(hostile.blank_png(side=600, dot=True), Limits(max_seconds=6))
    assert "max_seconds" in refused.message
    assert decoded.call_count <= 6 and recognise.call_count == 0


def test_the_ocr_reads_a_copy_of_at_most_two_megapixels():
    seen = []
    with (
        mock.patch.object(ocr, "recognise", side_effect=lambda picture: seen.append(picture.size) or []),
        mock.patch.object(ocr, "orientation", return_value=0),
        pytest.raises(RefusedDocument),
    ):
        reader.extract(hostile.blank_png(side=2400, dot=True))
    assert seen and all(width * height <= 2_000_000 for width, height in seen)


def test_a_blank_image_is_neither_searched_for_a_qr_code_nor_read_by_ocr():
    data = hostile.blank_png(side=2000)
    with (
        mock.patch.object(qr_image, "find_payloads") as searched,
        mock.patch.object(ocr, "recognise") as recognise,
        pytest.raises(RefusedDocument) as refused,
    ):
        reader.extract(data)
    assert refused.value.reason == "not_invoice" and "blank" in refused.value.message
    assert searched.call_count == 0 and recognise.call_count == 0
