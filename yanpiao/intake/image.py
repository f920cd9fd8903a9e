"""Photos and scans of invoices (JPEG, PNG, WEBP, TIFF, BMP): QR code first, then OCR.

The image's size is read from its header and checked against ``limits.max_pixels`` (and
Pillow's decompression-bomb limit) before a single pixel is decoded; a truncated or
undecodable file is refused as ``malformed``.  EXIF orientation is applied, so a phone
photo taken sideways reads upright.

The QR code (:mod:`yanpiao.intake.qr_image`) gives the key fields; OCR
(:mod:`yanpiao.intake.ocr` + :mod:`yanpiao.intake.printed`) gives the printed content and, when
there is no QR code, the key fields too. A page whose OCR misses the key fields is turned
upright and read again when its text lines say it lies sideways or upside down
(:func:`yanpiao.intake.ocr.orientation`, a cheap check, so upright photos read in full pay
nothing for it);
the boxes of a tilted photo are levelled (:func:`yanpiao.intake.ocr.deskew`). An image with
neither an invoice QR code nor a recognisable printed invoice is refused as ``not_invoice``.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from yanpiao.fapiao import qr
from yanpiao.intake import budget, ocr, printed, qr_image, qr_text
from yanpiao.intake.candidate import OCR, Candidate, Extraction
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "TIFF", "BMP"})
# OCR boxes read with less confidence than this are mostly seal text and noise.
MIN_OCR_SCORE = 0.7
# The OCR's detector gains nothing from more pixels than this on the long side, only time; and its
# memory grows with its input, some 250 bytes a pixel (1800×1800 took 800 MB in all), so the copy
# it reads has at most OCR_MAX_PIXELS (a 4:3 photo: 1366×1025; a square page 1183×1183, 540 MB in all).
OCR_MAX_SIDE = 1800
OCR_MAX_PIXELS = 1_400_000
# A picture whose grey levels all lie within this range shows nothing: no QR search, no OCR.
BLANK_RANGE = 16
# What Pillow raises on damaged files (truncated data, bad chunks, bad headers).
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
)


def read(data: bytes, limits: Limits = DEFAULT, ocr_content: bool = True) -> Extraction:
    """Every invoice in the image.  ``ocr_content=False`` skips the OCR when a QR code was read.

    Verification passes False: OCR-read content is never compared with the registry
    (see candidate.Candidate.content), so with a readable QR code it would only cost time.
    """
    with budget.scope(limits):
        candidates, shown = candidates_from_picture(open_image(data, limits), ocr_content=ocr_content)
    if not candidates:
        detail = shown or "no invoice QR code and no 发票号码 was found"
        raise RefusedDocument("not_invoice", f"the image is not an invoice ({detail})")
    return Extraction("image", candidates)


def open_image(data: bytes, limits: Limits = DEFAULT) -> Image.Image:
    """The decoded, upright RGB image; refuses oversized, unsupported and damaged files.

    The size comes from the header: it is checked, and charged to the read's budget
    (:mod:`yanpiao.intake.budget`), before a pixel is decoded.
    """
    try:
        picture = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RefusedDocument("too_large", f"the image is too large to decode safely: {exc}") from None
    except UnidentifiedImageError:
        raise RefusedDocument(
            "malformed", "the image cannot be read: not a JPEG, PNG, WEBP, TIFF or BMP"
        ) from None
    except _DECODE_ERRORS as exc:
        raise RefusedDocument("malformed", f"the image cannot be read: {exc}") from None
    _check_size(picture, limits)
    if picture.format not in FORMATS:
        raise RefusedDocument("not_supported", f"{picture.format} images are not supported")
    width, height = picture.size
    budget.current().pixels(width * height, f"a {width}×{height} image")
    try:
        picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RefusedDocument("too_large", f"the image is too large to decode safely: {exc}") from None
    except _DECODE_ERRORS as exc:
        raise RefusedDocument("malformed", f"the image is damaged or truncated: {exc}") from None
    return _upright_rgb(picture)


def _check_size(picture: Image.Image, limits: Limits) -> None:
    width, height = picture.size
    bomb = Image.MAX_IMAGE_PIXELS or float("inf")
    if width * height > min(limits.max_pixels, bomb):
        raise RefusedDocument(
            "too_large",
            f"the image is {width}×{height} = {width * height:,} pixels; the limit is {limits.max_pixels:,}",
        )
    if width < 1 or height < 1:
        raise RefusedDocument("malformed", "the image has no pixels")


def _upright_rgb(picture: Image.Image) -> Image.Image:
    with contextlib.suppress(*_DECODE_ERRORS):  # a broken EXIF block: keep the pixels as stored
        picture = ImageOps.exif_transpose(picture) or picture
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        background = Image.new("RGB", picture.size, "white")
        background.paste(picture.convert("RGBA"), mask=picture.convert("RGBA").getchannel("A"))
        return background
    if picture.mode.startswith("I;16") or picture.mode in ("I", "F"):
        picture = picture.point(lambda value: value / 256).convert("L")
    return picture.convert("RGB")


def candidates_from_picture(
    picture: Any, payloads: list[str] | None = None, ocr_content: bool = True
) -> tuple[list[Candidate], str]:
    """Candidates from a picture (also a rendered PDF page), and what the page shows when it is no
    invoice (:func:`yanpiao.intake.printed.describe`)."""
    if not payloads and blank(picture):
        return [], "it is blank"  # nothing to search or read: a blank page costs no QR search, no OCR
    payloads = payloads or qr_image.find_payloads(picture)
    qr_candidates = [c for c in map(_qr_candidate, payloads) if c is not None]
    if qr_candidates and not ocr_content:
        return qr_candidates, ""
    size = picture.size
    # From here on the OCR's copy is all that is needed: the full picture may go.
    picture, scale = _ocr_copy(picture)
    page, text = _read_printed(picture, scale, size)
    if not text.has_key:
        # Upright photos read in full pay nothing for this; a sideways page may read in part.
        budget.current().check_time()
        turn = ocr.orientation(picture)
        if turn:
            turned = picture.rotate(turn, expand=True)
            page, text = _read_printed(turned, scale, size if turn == 180 else size[::-1])
    is_invoice = printed.looks_like_invoice(text) and not printed.not_invoice_title(printed.title(page))
    texts = [text] if is_invoice or (qr_candidates and text.fields) else []
    return printed.pair(texts, qr_candidates), printed.describe(page)


def _ocr_copy(picture: Any) -> tuple[Any, float]:
    """The copy the OCR reads: at most OCR_MAX_SIDE on the long side and OCR_MAX_PIXELS in all;
    and its scale to the picture."""
    scale = min(
        1.0, OCR_MAX_SIDE / max(picture.size), (OCR_MAX_PIXELS / (picture.width * picture.height)) ** 0.5
    )
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return picture, scale


def blank(picture: Any) -> bool:
    """One colour all over, or nearly (no grey level differs from another by ``BLANK_RANGE``)."""
    low, high = picture.convert("L").getextrema()
    return high - low < BLANK_RANGE


def _read_printed(picture: Any, scale: float, size: tuple[int, int]) -> tuple[printed.Page, Candidate]:
    """The printed text of the OCR's copy, laid out in the full picture's coordinates (``size``)."""
    page = printed.Page(_ocr_boxes(picture, scale), *size)
    return page, printed.parse_page(page, OCR)


def _ocr_boxes(picture: Any, scale: float) -> list[ocr.TextBox]:
    """OCR boxes of the OCR's copy, in the full picture's coordinates (the copy is ``scale`` of it).

    One OCR run of the read's budget."""
    budget.current().ocr()
    boxes = [box for box in ocr.recognise(picture) if box.score >= MIN_OCR_SCORE]
    return [
        ocr.TextBox(b.text, b.x0 / scale, b.y0 / scale, b.x1 / scale, b.y1 / scale, b.score)
        for b in ocr.deskew(boxes, picture.width, picture.height)
    ]


def _qr_candidate(payload: str) -> Candidate | None:
    try:
        return qr_text.candidate_from_payload(payload)
    except qr.QrFormatError:
        return None


__all__ = ["FORMATS", "candidates_from_picture", "open_image", "read"]
