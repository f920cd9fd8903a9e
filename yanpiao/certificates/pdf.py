"""The one-page PDF of a verification certificate (发票查验凭证), drawn with reportlab.

The page shows the outcome and its description, the key fields as the history keeps them, the
registered invoice as the viewer may see it (only when the outcome reveals it), the time of the
check, the verification id, the signing certificate's fingerprint and a QR code of the online
check.  :mod:`yanpiao.certificates.signing` then signs it and embeds :meth:`Content.certifies`
as JSON, so a program can read what the page says.

Chinese text uses the first TrueType font of :data:`FONT_CANDIDATES` present on the system
(embedded as a subset), else reportlab's built-in CID font ``STSong-Light`` (not embedded: PDF
readers bring it).  Nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

logger = logging.getLogger(__name__)

FORMAT = "yanpiao-certificate/1"  # in the embedded JSON; also what marks a file as ours
TITLE = "发票查验凭证"
SUBTITLE = "Invoice verification certificate"
# (path, index in a .ttc) of TrueType fonts with Chinese glyphs, as Debian and Ubuntu install them.
# CFF-based OpenType fonts (Noto CJK) cannot be embedded by reportlab and are skipped.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf", 0),
)
FALLBACK_FONT = "STSong-Light"
MONO = "Courier"
LATIN = "Helvetica"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
QR_SIZE = 34 * mm
QR_BORDER = 2  # modules of quiet zone
GOOD = colors.HexColor("#1a7f37")
BAD = colors.HexColor("#b42318")
GREY = colors.HexColor("#555555")


@dataclass(frozen=True)
class Row:
    label: str  # Chinese label and English meaning
    value: str
    mono: bool = False  # an identifier or number: monospaced


@dataclass(frozen=True)
class Content:
    """Everything the page shows, already reduced to what the viewer may see."""

    verification_id: str
    outcome: str
    description: str
    checked_at: str  # ISO 8601 with offset (Asia/Shanghai)
    channel: str
    submitted: tuple[Row, ...]
    differences: tuple[str, ...]  # labels of the differing key fields (no values)
    invoice: tuple[Row, ...] | None  # the registered invoice as shown, when the outcome reveals it
    total: str  # 价税合计 (or the submitted amount) as shown; "" when none
    check_url: str
    issued_at: str
    signer_fingerprint: str
    certified: dict = field(default_factory=dict)  # the machine-readable form (see certifies)

    @property
    def authentic(self) -> bool:
        return self.outcome == "authentic"

    def certifies(self) -> dict:
        """What the certificate certifies, as the embedded JSON holds it."""
        return {"format": FORMAT, **self.certified}


# --- fonts -------------------------------------------------------------------------------------


@functools.cache
def chinese_font() -> str:
    """The registered name of the font for Chinese text (an embedded TrueType font or STSong-Light)."""
    for path, index in FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        name = f"YanpiaoCJK-{Path(path).stem}"
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
        except Exception as exc:  # reportlab refuses fonts it cannot embed (CFF outlines, damage)
            logger.info("font %s not usable for certificates: %s", path, exc)
            continue
        return name
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


# --- drawing -----------------------------------------------------------------------------------


def _latin(character: str) -> bool:
    """Whether reportlab's standard fonts (WinAnsi) can draw the character."""
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _runs(text: str, cjk: str, latin: str) -> list[tuple[str, str]]:
    """The text cut into runs of one font: Latin in ``latin``, everything else in ``cjk``."""
    runs: list[tuple[str, str]] = []
    for character in text:
        font = latin if _latin(character) else cjk
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + character, font)
        else:
            runs.append((character, font))
    return runs


def _width(text: str, size: float, cjk: str, latin: str) -> float:
    return sum(pdfmetrics.stringWidth(run, font, size) for run, font in _runs(text, cjk, latin))


_LATIN_CLASS = "[ -~\u00a0-\u00ff\u2014]"
# A Latin word with the spaces after it, or any other single character.
_TOKEN = re.compile(f"{_LATIN_CLASS}+?(?:\\s+|$|(?!{_LATIN_CLASS}))|.", re.DOTALL)


def _lines(text: str, size: float, width: float, cjk: str, latin: str) -> list[str]:
    """Greedy line breaks: between Latin words, and between any two Chinese characters."""
    tokens = _TOKEN.findall(text) if text else [""]
    lines, current = [], ""
    for token in tokens:
        if _width(current + token, size, cjk, latin) <= width or not current:
            current += token
        else:
            lines.append(current.rstrip())
            current = token.lstrip()
        while len(current) > 1 and _width(current.rstrip(), size, cjk, latin) > width:
            cut = len(current) - 1  # a token longer than a line (a URL): cut it by characters
            while cut > 1 and _width(current[:cut], size, cjk, latin) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    lines.append(current.rstrip())
    return lines


class _Page:
    """A cursor down the page, writing text (Chinese and Latin each in its font) and rows."""

    LABEL_WIDTH = 48 * mm

    def __init__(self, pdf: canvas.Canvas, font: str):
        self.pdf = pdf
        self.font = font
        self.y = PAGE_HEIGHT - MARGIN

    def text(self, x: float, value: str, size: float, latin: str = LATIN, color=colors.black) -> float:
        """Draw one line at the cursor's height; return its width."""
        self.pdf.setFillColor(color)
        start = x
        for run, font in _runs(value, self.font, latin):
            self.pdf.setFont(font, size)
            self.pdf.drawString(x, self.y, run)
            x += pdfmetrics.stringWidth(run, font, size)
        self.pdf.setFillColor(colors.black)
        return x - start

    def centred(self, value: str, size: float, color=colors.black) -> None:
        width = _width(value, size, self.font, LATIN)
        self.text((PAGE_WIDTH - width) / 2, value, size, color=color)

    def wrapped(
        self, x: float, value: str, size: float, width: float, latin: str = LATIN, color=colors.black
    ):
        for line in _lines(value, size, width, self.font, latin):
            self.text(x, line, size, latin, color)
            self.y -= size * 1.4

    def heading(self, value: str):
        self.y -= 4 * mm
        self.text(MARGIN, value, 11.5)
        self.y -= 2 * mm
        self.pdf.setStrokeColor(colors.lightgrey)
        self.pdf.line(MARGIN, self.y, PAGE_WIDTH - MARGIN, self.y)
        self.pdf.setStrokeColor(colors.black)
        self.y -= 5.5 * mm

    def row(self, row: Row, right: float = PAGE_WIDTH - MARGIN):
        size = 9.5
        self.text(MARGIN, row.label, size, color=GREY)
        x = MARGIN + self.LABEL_WIDTH
        self.wrapped(x, row.value or "—", size, right - x, MONO if row.mono else LATIN)
        self.y -= 1.2 * mm


def render(content: Content) -> bytes:
    """The unsigned one-page PDF of ``content``."""
    font = chinese_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{TITLE} {content.verification_id}")
    pdf.setAuthor("验票 Yanpiao")
    pdf.setSubject(f"{SUBTITLE}: verification {content.verification_id}, outcome {content.outcome}")
    pdf.setKeywords(FORMAT)
    pdf.setCreator("yanpiao")
    page = _Page(pdf, font)

    page.y -= 6 * mm
    page.centred(TITLE, 22)
    page.y -= 7 * mm
    page.centred(SUBTITLE, 11, GREY)
    page.y -= 10 * mm

    _outcome_box(page, content)

    page.heading("查验信息  Verification")
    page.row(Row("查验编号  Verification ID", content.verification_id, mono=True))
    page.row(Row("查验时间  Checked at", content.checked_at, mono=True))
    page.row(Row("查验渠道  Channel", content.channel))

    page.heading("查验要素  Key fields as submitted")
    for row in content.submitted:
        page.row(row)
    if content.differences:
        page.row(Row("不一致项目  Differing fields", "、".join(content.differences)))

    page.heading("登记发票  Registered invoice")
    if content.invoice is None:
        page.wrapped(
            MARGIN,
            "此查验结果不显示登记发票的信息。 This outcome reveals nothing of the registered invoice.",
            9.5,
            PAGE_WIDTH - 2 * MARGIN,
            color=GREY,
        )
    else:
        for row in content.invoice:
            page.row(row)

    _footer(page, content)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _outcome_box(page: _Page, content: Content) -> None:
    color = GOOD if content.authentic else BAD
    width = PAGE_WIDTH - 2 * MARGIN
    lines = _lines(content.description, 10.5, width - 10 * mm, page.font, LATIN)
    height = 12 * mm + len(lines) * 10.5 * 1.35
    top = page.y
    page.pdf.setStrokeColor(color)
    page.pdf.setLineWidth(1.5)
    page.pdf.roundRect(MARGIN, top - height, width, height, 3 * mm, stroke=1, fill=0)
    page.pdf.setLineWidth(1)
    page.pdf.setStrokeColor(colors.black)
    page.y = top - 7 * mm
    page.text(MARGIN + 5 * mm, "查验结果  Outcome:", 12)
    page.text(MARGIN + 48 * mm, content.outcome, 13, MONO + "-Bold", color)
    page.y -= 6.5 * mm
    page.wrapped(MARGIN + 5 * mm, content.description, 10.5, width - 10 * mm)
    page.y = top - height - 2 * mm


def _footer(page: _Page, content: Content) -> None:
    """The QR code of the online check at the bottom right, how to check beside it."""
    pdf = page.pdf
    x_qr, y_qr = PAGE_WIDTH - MARGIN - QR_SIZE, MARGIN
    _qr(pdf, content.check_url, x_qr, y_qr, QR_SIZE)
    width = x_qr - MARGIN - 6 * mm
    page.y = MARGIN + QR_SIZE - 3 * mm
    page.wrapped(MARGIN, "在线核验  Online check (scan the code):", 9, width)
    page.wrapped(MARGIN, content.check_url, 7.5, width, MONO)
    page.y -= 1.5 * mm
    page.wrapped(
        MARGIN,
        "本凭证带有验票的电子签名（PAdES），签名后任何改动都会使签名失效。"
        "This PDF is signed by Yanpiao; any change after signing breaks the signature. "
        "Offline check: yanpiao certificate verify FILE.",
        7.5,
        width,
        color=GREY,
    )
    page.y -= 1.5 * mm
    page.wrapped(MARGIN, f"签发时间 Issued at: {content.issued_at}", 7.5, width, color=GREY)
    page.wrapped(MARGIN, "签名证书 Signing certificate (SHA-256):", 7.5, width, color=GREY)
    page.wrapped(MARGIN, content.signer_fingerprint, 6.5, width, MONO, GREY)


def _qr(pdf: canvas.Canvas, payload: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (error correction M), one rectangle per run of dark modules."""
    matrix = segno.make(payload, error="m", micro=False).matrix
    count = len(matrix) + 2 * QR_BORDER
    module = size / count
    pdf.setFillColor(colors.black)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + QR_BORDER + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            pdf.rect(
                x + (start + QR_BORDER) * module, top, (column - start) * module, module, stroke=0, fill=1
            )
