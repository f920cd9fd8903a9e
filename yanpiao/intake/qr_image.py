"""Finding and decoding invoice QR codes in an image.

zxing-cpp reads the whole image first: on a screenshot, a scan or a sharp photo that takes
a few milliseconds and is the end of it.  Only when it finds no invoice QR code are harder
views tried, cheapest first, region by region: the quadrants (the invoice QR sits top-left
on 数电票 and e-普票, so that quadrant comes first), then the whole image.  Each region is
tried as it is, scaled (up when small or low-resolution, down when huge), binarised (Otsu,
adaptive), denoised and sharpened; the whole image last also turned by 90°, 180° and 270°.
A region stops at its first success; several invoices on one page give several payloads.
The read's clock (:mod:`yanpiao.intake.budget`) is looked at before each view.

Only payloads that parse as invoice QR codes (:func:`yanpiao.fapiao.qr.parse`) are kept:
a shop's URL QR next to the invoice is not an invoice.

>>> import segno
>>> payload = "01,32,,26427000000375586818,10.70,20260430,,FAFB"
>>> qr_code = segno.make(payload, error="m")
>>> buffer = __import__("io").BytesIO()
>>> qr_code.save(buffer, kind="png", scale=4, border=4)
>>> from PIL import Image
>>> find_payloads(Image.open(buffer))
['01,32,,26427000000375586818,10.70,20260430,,FAFB']
>>> find_payloads(Image.new("L", (300, 200), 255))
[]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import zxingcpp

from yanpiao.fapiao import qr
from yanpiao.intake import budget

# Regions smaller than this are scaled up before the binarised views; larger ones down.
SMALL_SIDE = 1200
LARGE_SIDE = 2600
_FORMATS = zxingcpp.BarcodeFormat.QRCode


def grey(image: Any) -> np.ndarray:
    """A contiguous 8-bit grey array from a PIL image or a grey/RGB(A) array."""
    if not isinstance(image, np.ndarray):
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image = np.asarray(image)
    if image.ndim == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(image, dtype=np.uint8)


def is_invoice_payload(text: str) -> bool:
    try:
        qr.parse(text)
    except qr.QrFormatError:
        return False
    return True


def decode(pixels: np.ndarray, binarizer: Any = zxingcpp.Binarizer.LocalAverage) -> list[str]:
    """The invoice QR payloads zxing-cpp reads in ``pixels`` as they are."""
    found = zxingcpp.read_barcodes(pixels, formats=_FORMATS, binarizer=binarizer, try_invert=False)
    return [code.text for code in found if is_invoice_payload(code.text)]


# --- views of a region, cheapest first --------------------------------------------------------


def _scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    interpolation = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=interpolation)


def _fit(pixels: np.ndarray) -> np.ndarray:
    """The region at a size zxing reads well: small regions doubled, huge ones shrunk."""
    side = max(pixels.shape)
    if side < SMALL_SIDE:
        return _scaled(pixels, 2.0)
    if side > LARGE_SIDE:
        return _scaled(pixels, LARGE_SIDE / side)
    return pixels


def _otsu(pixels: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(pixels, (3, 3), 0)
    return cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]


def _adaptive(pixels: np.ndarray) -> np.ndarray:
    block = max(15, (min(pixels.shape) // 16) | 1)
    return cv2.adaptiveThreshold(pixels, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 8)


def _denoised(pixels: np.ndarray) -> np.ndarray:
    return cv2.medianBlur(pixels, 3)


def _sharpened(pixels: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(pixels, (0, 0), 2.0)
    return cv2.addWeighted(pixels, 1.8, blurred, -0.8, 0)


def _views(region: np.ndarray, turned: bool) -> Iterator[tuple[np.ndarray, Any]]:
    """(pixels, binarizer) pairs to try on one region, cheapest first."""
    yield region, zxingcpp.Binarizer.GlobalHistogram
    fitted = _fit(region)
    if fitted is not region:
        yield fitted, zxingcpp.Binarizer.LocalAverage
    for transform in (_otsu, _adaptive, _denoised, _sharpened):
        yield transform(fitted), zxingcpp.Binarizer.LocalAverage
    if turned:
        # zxing finds QR codes at any angle; turning only changes the order it scans pixels in.
        for turns in (1, 2, 3):
            yield np.ascontiguousarray(np.rot90(_otsu(fitted), turns)), zxingcpp.Binarizer.LocalAverage


def _quadrants(pixels: np.ndarray) -> Iterator[np.ndarray]:
    """The four overlapping quadrants, top-left first (where invoices print their QR)."""
    height, width = pixels.shape
    h, w = int(height * 0.55), int(width * 0.55)
    yield pixels[:h, :w]
    yield pixels[:h, width - w :]
    yield pixels[height - h :, :w]
    yield pixels[height - h :, width - w :]


def _first_success(region: np.ndarray, turned: bool = False) -> list[str]:
    spent = budget.current()
    for pixels, binarizer in _views(region, turned):
        spent.check_time()
        found = decode(np.ascontiguousarray(pixels), binarizer)
        if found:
            return found
    return []


def _unique(payloads: list[str]) -> list[str]:
    return list(dict.fromkeys(payload.strip() for payload in payloads))


def find_payloads(image: Any) -> list[str]:
    """The invoice QR payloads in the image (PIL image or numpy array), in reading order."""
    pixels = grey(image)
    if min(pixels.shape) < 21:
        return []
    budget.current().check_time()
    found = decode(pixels)
    if found:
        return _unique(found)
    for quadrant in _quadrants(pixels):
        found += _first_success(quadrant)
    if found:
        return _unique(found)
    return _unique(_first_success(pixels, turned=True))


__all__ = ["decode", "find_payloads", "grey", "is_invoice_payload"]
