"""A simulated phone photo of an invoice: the PDF page rendered, then distorted as a camera would.

The page is rendered with pypdfium2 at 170–200 dpi, tinted like paper, laid on a table-coloured
background, and then, all drawn from ``random.Random(seed)``:

* a perspective warp (each corner moved by up to 4 % of the page size) and a rotation of up to ±8°;
* uneven lighting (a brightness gradient), a brightness and contrast change;
* a slight Gaussian blur and sensor noise;
* JPEG compression at quality 60–85.

The same input and seed give the same bytes.  The strength is chosen so that a robust QR
decoder recovers the code from at least 98 % of photos (tests/support/test_photo.py);
whole-image decoding alone recovers fewer, as with real photos.

pdfium draws CJK glyphs only when a CJK font is installed (Debian ``fonts-wqy-zenhei``); without
one the photo shows the rules, the Latin text (numbers, amounts, tax IDs) and the QR code, and
the QR code is what carries the key fields.
"""

from __future__ import annotations

import functools
import io
import math
import random

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao.invoice import Invoice
from yanpiao.intake.pdf import PDFIUM_LOCK

DPI_RANGE = (150, 200)
CORNER_JITTER = 0.05  # of the page's width and height
MAX_ROTATION = 8.0  # degrees
MARGIN = (0.04, 0.14)  # background around the page, as a share of its width
LONG_SIDE = (1500, 2000)  # pixels of the final photo, as phones and messengers save them
BLUR_SIGMA = (0.5, 1.3)  # pixels, before the final resize
MOTION_BLUR = (0.25, 5)  # share of photos with camera shake, and its longest streak in pixels
SHADOW = 0.4  # share of photos with a soft shadow across part of the page
NOISE_SIGMA = (2.0, 7.0)  # grey levels
NOISE_TILE = 256
JPEG_QUALITY = (60, 85)
PAPER = ((250, 248, 240), (236, 232, 218))  # range of paper tints (RGB)
TABLE = ((60, 50, 40), (170, 160, 150))  # range of background colours (RGB)


def simulate_photo(invoice_or_pdf: Invoice | bytes, seed: int) -> bytes:
    """A JPEG photo of the invoice (rendered first) or of the first page of the PDF bytes."""
    rng = random.Random(seed)
    pdf = invoice_or_pdf if isinstance(invoice_or_pdf, bytes) else render_pdf(invoice_or_pdf)
    page = _render(pdf, rng.uniform(*DPI_RANGE))
    page = _paper(page, rng)
    photo = _photograph(page, rng)
    photo = _blur(photo, rng)
    photo = _resize(photo, rng.randint(*LONG_SIDE))
    photo = _expose(photo, _light(photo.shape, rng), _noise(photo.shape, rng, seed))
    return _jpeg(photo, rng.randint(*JPEG_QUALITY))


def _render(pdf: bytes, dpi: float) -> np.ndarray:
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            bitmap = document[0].render(scale=dpi / 72)
            return np.array(bitmap.to_pil().convert("RGB"))
        finally:
            document.close()


def _between(rng: random.Random, low: tuple[int, ...], high: tuple[int, ...]) -> tuple[float, ...]:
    share = rng.random()
    return tuple(a + (b - a) * share for a, b in zip(low, high, strict=True))


def _paper(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """White becomes the paper's tint; ink stays dark."""
    tint = _between(rng, *PAPER)
    return cv2.multiply(page, np.array([*tint, 0.0]) / 255.0, dtype=cv2.CV_8U)


def _photograph(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """The page, warped and rotated, on a background with a margin around it."""
    height, width = page.shape[:2]
    margin = int(width * rng.uniform(*MARGIN))
    out_w, out_h = width + 2 * margin, height + 2 * margin
    centre = np.array([out_w / 2, out_h / 2])
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    jitter = np.array([[rng.uniform(-1, 1) * width, rng.uniform(-1, 1) * height] for _ in range(4)])
    placed = corners - [width / 2, height / 2] + jitter * CORNER_JITTER
    angle = math.radians(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    target = placed @ rotation.T + centre
    # Shrink to fit when the rotated corners would leave the frame.
    spread = np.abs(target - centre).max(axis=0)
    scale = min(1.0, (out_w / 2 - 4) / spread[0], (out_h / 2 - 4) / spread[1])
    target = (target - centre) * scale + centre
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target.astype(np.float32))
    background = np.empty((out_h, out_w, 3), dtype=np.uint8)
    background[:] = np.round(_between(rng, *TABLE))
    return cv2.warpPerspective(
        page,
        matrix,
        (out_w, out_h),
        dst=background,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_TRANSPARENT,
    )


def _light(shape: tuple[int, ...], rng: random.Random) -> tuple[np.ndarray, float]:
    """A light map (brightness gradient, sometimes a soft shadow) times the contrast, and an offset.

    Applied as photo × map + offset, which is (photo × light − 128) × contrast + 128 + brightness.
    The map is computed small and scaled up: it is smooth anyway.
    """
    height, width = shape[:2]
    small_w, small_h = 64, max(2, round(64 * height / width))
    xs, ys = np.meshgrid(np.linspace(-1, 1, small_w), np.linspace(-1, 1, small_h))
    angle = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.05, 0.25) * (xs * math.cos(angle) + ys * math.sin(angle)) / 2
    if rng.random() < SHADOW:
        edge_angle = rng.uniform(0, 2 * math.pi)
        offset = rng.uniform(0.2, 0.8)
        distance = xs * math.cos(edge_angle) + ys * math.sin(edge_angle) - offset
        light *= 1.0 - rng.uniform(0.15, 0.35) / (1.0 + np.exp(-distance * rng.uniform(6, 20)))
    contrast = rng.uniform(0.8, 1.1)
    brightness = rng.uniform(-20, 15)
    light = cv2.resize((light * contrast).astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return light, 128 * (1 - contrast) + brightness


def _blur(photo: np.ndarray, rng: random.Random) -> np.ndarray:
    """Slight defocus; on some photos camera shake along a random direction."""
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(*BLUR_SIGMA))
    share, longest = MOTION_BLUR
    if rng.random() < share:
        length = rng.randint(2, longest)
        kernel = np.zeros((length, length), dtype=np.float32)
        kernel[length // 2, :] = 1.0 / length
        turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, turn, (length, length))
        photo = cv2.filter2D(photo, -1, kernel / kernel.sum())
    return photo


def _resize(photo: np.ndarray, long_side: int) -> np.ndarray:
    height, width = photo.shape[:2]
    scale = long_side / max(height, width)
    if scale >= 1:
        return photo
    return cv2.resize(photo, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


def _noise(shape: tuple[int, ...], rng: random.Random, seed: int) -> np.ndarray:
    """Luminance noise (the same in every channel), as a phone's denoised sensor leaves it.

    A 256-pixel patch is drawn and tiled: at a few grey levels nobody sees it repeat.
    """
    height, width = shape[:2]
    patch = np.random.default_rng(seed).standard_normal((NOISE_TILE, NOISE_TILE), dtype=np.float32)
    patch *= rng.uniform(*NOISE_SIGMA)
    return np.tile(patch, (-(-height // NOISE_TILE), -(-width // NOISE_TILE)))[:height, :width]


def _expose(photo: np.ndarray, light: tuple[np.ndarray, float], noise: np.ndarray) -> np.ndarray:
    """photo × light map + offset + noise, in one pass of float arithmetic."""
    light_map, offset = light
    lit = photo.astype(np.float32)
    lit *= light_map[..., None]
    lit += (noise + offset)[..., None]
    return np.clip(lit, 0, 255, out=lit).astype(np.uint8)


def _jpeg(photo: np.ndarray, quality: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(photo).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def without_qr(photo: bytes) -> bytes:
    """The photo with its QR corner (the top-left quarter of its width, third of its height) painted
    white, so that only OCR can read it."""
    from PIL import ImageDraw

    image = Image.open(io.BytesIO(photo)).convert("RGB")
    width, height = image.size
    ImageDraw.Draw(image).rectangle([0, 0, width // 4, height // 3], fill="white")
    return _jpeg(np.asarray(image), 85)


def turned(photo: bytes, degrees: int) -> bytes:
    """The photo turned counter-clockwise, as a phone held sideways or upside down stores it (no EXIF)."""
    image = Image.open(io.BytesIO(photo)).rotate(degrees, expand=True)
    return _jpeg(np.asarray(image.convert("RGB")), 90)


@functools.cache
def renders_cjk() -> bool:
    """Whether pdfium draws Chinese here (a CJK font such as Debian's fonts-wqy-zenhei is installed)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(80, 40))
    pdf.setFont("STSong-Light", 24)
    pdf.drawString(10, 10, "发票")
    pdf.showPage()
    pdf.save()
    return bool((_render(out.getvalue(), 72) < 128).any())


__all__ = ["renders_cjk", "simulate_photo", "turned", "without_qr"]
