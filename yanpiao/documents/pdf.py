"""The PDF of an invoice: the 数电票 or old e-普票 layout of :mod:`.layout`, drawn with reportlab.

Text is real text in reportlab's built-in CID font ``STSong-Light`` (no font file is embedded
or downloaded), identifiers in Courier and amounts in Helvetica, so the PDF has a text layer
that readers extract.  The QR code is an embedded PNG image: a reader can decode it from the
image itself without rendering the page.  Labels are drawn first and values after them, as in
real 数电 PDFs.  ``invariant=1`` makes the bytes depend on the invoice only.
"""

from __future__ import annotations

import functools
import io

import segno
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from yanpiao.documents import layout
from yanpiao.documents.layout import PAGE_HEIGHT, PAGE_WIDTH, QR_SIZE, Mark, Page, Rule, Text
from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import Invoice

QR_MODULE_PIXELS = 6
QR_BORDER = 2  # modules of quiet zone inside the 20 mm square


@functools.lru_cache(maxsize=256)
def qr_png(payload: str) -> bytes:
    """The QR code as a PNG, error correction M, with a quiet zone of two modules.

    Cached: the PDF, the OFD and the tampered copies of one invoice carry the same code.
    """
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(
        out, kind="png", scale=QR_MODULE_PIXELS, border=QR_BORDER
    )
    return out.getvalue()


def render_pdf(invoice: Invoice, qr_payload: str | None = None) -> bytes:
    """The invoice as a one-page PDF; ``qr_payload`` replaces the QR content (for tampered copies)."""
    page = layout.page_for(invoice, qr_payload)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(PAGE_WIDTH * mm, PAGE_HEIGHT * mm), invariant=1, pageCompression=1)
    pdf.setTitle(f"{page.title} {invoice.number}")
    pdf.setAuthor(invoice.seller.name)
    pdf.setSubject(types.NAMES.get(invoice.type, ""))
    pdf.setCreator("Yanpiao")
    _draw_qr(pdf, page)
    for rule in page.rules:
        _draw_rule(pdf, rule, page.ink)
    for mark in page.marks:
        _draw_mark(pdf, mark, page.ink)
    for text in page.labels + page.values:
        _draw_text(pdf, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _y(top: float) -> float:
    """reportlab measures from the bottom of the page, in points."""
    return (PAGE_HEIGHT - top) * mm


def _rgb(color: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(c / 255 for c in color)


def _draw_qr(pdf: canvas.Canvas, page: Page) -> None:
    image = ImageReader(io.BytesIO(qr_png(page.qr_payload)))
    pdf.drawImage(image, page.qr_x * mm, _y(page.qr_y + QR_SIZE), QR_SIZE * mm, QR_SIZE * mm)


def _draw_rule(pdf: canvas.Canvas, rule: Rule, ink: tuple[int, int, int]) -> None:
    pdf.setStrokeColorRGB(*_rgb(ink))
    pdf.setLineWidth(rule.width * mm)
    pdf.line(rule.x1 * mm, _y(rule.y1), rule.x2 * mm, _y(rule.y2))


def _draw_mark(pdf: canvas.Canvas, mark: Mark, ink: tuple[int, int, int]) -> None:
    """⊗: a circle with a diagonal cross."""
    pdf.setStrokeColorRGB(*_rgb(ink))
    pdf.setLineWidth(0.22 * mm)
    radius = mark.size / 2
    cx, cy = mark.x + radius, mark.y + radius
    pdf.circle(cx * mm, _y(cy), radius * mm, stroke=1, fill=0)
    arm = radius * 0.7071
    pdf.line((cx - arm) * mm, _y(cy - arm), (cx + arm) * mm, _y(cy + arm))
    pdf.line((cx - arm) * mm, _y(cy + arm), (cx + arm) * mm, _y(cy - arm))


def _draw_text(pdf: canvas.Canvas, text: Text) -> None:
    pdf.setFillColorRGB(*_rgb(text.color))
    pdf.setFont(text.font, text.size * mm)
    content = text.text
    if len(content) == 1 and text.font == layout.SONG:
        # pdfium's text extraction drops a run of a single STSong-Light character (购, 次);
        # a trailing space keeps it.
        content += " "
    pdf.drawString(text.x * mm, _y(text.y + text.baseline), content)


__all__ = ["qr_png", "render_pdf"]
