"""What an invoice prints where: one page description for the PDF and the OFD renderers.

Two layouts, both on a 210×140 mm page, measured in mm from the top-left corner as OFD does:

* :func:`digital_page` — the 数电票 (types 31, 32): title 电子发票（普通发票）, QR code 20×20 mm at
  (6.5, 6), 发票号码 and 开票日期 top-right, 购买方信息 left and 销售方信息 right (name and tax ID
  only, as real 数电票 print them), the items table, 合计, 价税合计, 备注 and 开票人.  Positions are
  those of the real 2024 数电 OFD (docs/invoice-facts.md §8).
* :func:`classic_page` — the old e-普票 layout for every pre-数电 type: the region's name before the
  type name (北京增值税电子普通发票), 机器编号 under the QR code, 发票代码 / 发票号码 / 开票日期 /
  校验码 top-right, buyer above seller with address, phone, bank and account, a 密码区, and
  收款人 / 复核 / 开票人 at the foot.  The roll (卷式) and toll invoices use it too, which real ones
  do not (a 57/76 mm roll; 车牌号 and 通行日期 columns): UNCONFIRMED shapes are not invented.

A :class:`Text` that prints invoice data names its field as a dotted invoice-JSON path
(``buyer.name``, ``items[0].amount``); the OFD renderer turns those into CustomTag references,
and the test suite's tampering helper picks only fields that are printed.  Labels
(``label=True``) belong to the OFD template page.  Long values are set in a smaller size to fit
their column rather than wrapped, so that a reader finds each value in one piece; only 备注 and
item names too long even for a small size wrap onto the next rows, as on real invoices.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from yanpiao.fapiao import amount_words, code, qr, types
from yanpiao.fapiao.formats import titles
from yanpiao.fapiao.invoice import SPECIAL_RATES, Invoice, Item, format_amount

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 140.0
QR_SIZE = 20.0

SONG, MONO, SANS = "STSong-Light", "Courier", "Helvetica"
pdfmetrics.registerFont(UnicodeCIDFont(SONG))

DIGITAL_INK = (128, 0, 0)  # labels and rules of a 数电票
CLASSIC_INK = (156, 82, 35)  # labels and rules of an old e-普票
BLACK = (0, 0, 0)

RATE_WORDS = {"exempt": "免税", "not_taxable": "不征税"}
NO_TAX = "***"  # the tax column of a 免税 / 不征税 line
YEN = "¥"
MIN_SIZE = 1.6  # mm: values are shrunk to fit their column, but not below this


@dataclass(frozen=True)
class Text:
    """A run of text: its left edge ``x`` and the top ``y`` of its line box, in mm.

    ``field`` is the invoice-JSON path of the data it prints (empty for labels and marks);
    ``symbol`` marks the ¥ printed before an amount, which belongs to that amount's field.
    """

    text: str
    x: float
    y: float
    size: float
    font: str = SONG
    color: tuple[int, int, int] = BLACK
    label: bool = False
    field: str = ""
    symbol: bool = False

    @property
    def width(self) -> float:
        return text_width(self.text, self.font, self.size)

    @property
    def height(self) -> float:
        return self.size * 1.2

    @property
    def baseline(self) -> float:
        """Distance of the baseline below ``y``."""
        return self.size * 0.95

    def advances(self) -> list[float]:
        """The advance of every character but the last (OFD ``DeltaX``)."""
        return [text_width(ch, self.font, self.size) for ch in self.text[:-1]]


@dataclass(frozen=True)
class Rule:
    """A straight line from (x1, y1) to (x2, y2)."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.25


@dataclass(frozen=True)
class Mark:
    """The ⊗ printed before the 大写 amount, drawn as a circle with a cross (not as text)."""

    x: float
    y: float
    size: float = 4.5


@dataclass
class Page:
    title: str
    qr_payload: str
    qr_x: float
    qr_y: float
    ink: tuple[int, int, int]
    texts: list[Text] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    @property
    def labels(self) -> list[Text]:
        return [t for t in self.texts if t.label]

    @property
    def values(self) -> list[Text]:
        return [t for t in self.texts if not t.label]

    def printed_fields(self) -> set[str]:
        return {t.field for t in self.texts if t.field}

    def text_of(self, path: str) -> str:
        """What the page prints for a field (lines of 备注 joined), without the ¥."""
        return "".join(t.text for t in self.texts if t.field == path and not t.symbol)

    def label(self, text: str, x: float, y: float, size: float = 3.175) -> None:
        self.texts.append(Text(text, x, y, size, SONG, self.ink, label=True))

    def vertical_label(self, text: str, x: float, y: float, pitch: float, size: float = 3.175) -> None:
        for i, char in enumerate(text):
            self.label(char, x, y + i * pitch, size)

    def value(
        self,
        text: str,
        path: str,
        left: float,
        right: float,
        y: float,
        size: float = 3.175,
        font: str = SONG,
        align: str = "left",
    ) -> None:
        """A value in the column from ``left`` to ``right``, shrunk to fit it."""
        if not text:
            return
        font = font if text.isascii() else SONG
        size = fit_size(text, font, size, right - left)
        width = text_width(text, font, size)
        x = {"left": left, "right": right - width, "center": (left + right - width) / 2}[align]
        self.texts.append(Text(text, x, y, size, font, BLACK, field=path))

    def run_line(
        self, runs: list[tuple[str, str, str]], left: float, right: float, y: float, size: float = 3.175
    ) -> None:
        """Several values on one line, a space apart (address and phone, bank and account).

        ``runs`` are (text, field, font); each value stays its own run with its own field, and the
        whole line is shrunk to fit between ``left`` and ``right``.
        """
        runs = [(text, path, font if text.isascii() else SONG) for text, path, font in runs if text]
        gap = text_width(" ", SONG, size) * 2

        def line_width(scale: float) -> float:
            widths = sum(text_width(text, font, size * scale) for text, _, font in runs)
            return widths + gap * scale * (len(runs) - 1)

        scale = min(1.0, (right - left) / line_width(1.0)) if runs else 1.0
        x = left
        for text, path, font in runs:
            self.texts.append(Text(text, x, y, max(MIN_SIZE, size * scale), font, BLACK, field=path))
            x += text_width(text, font, size * scale) + gap * scale

    def amount(self, value: Decimal, path: str, right: float, y: float, size: float = 3.175) -> None:
        """``¥`` and the amount as two runs, right-aligned at ``right`` (as the real OFD has them)."""
        number = format_amount(value)
        number_width = text_width(number, SANS, size)
        yen_width = text_width(YEN, MONO, size)
        x = right - number_width
        self.texts.append(Text(YEN, x - yen_width, y, size, MONO, BLACK, field=path, symbol=True))
        self.texts.append(Text(number, x, y, size, SANS, BLACK, field=path))

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.25) -> None:
        self.rules.append(Rule(x1, y1, x2, y2, width))

    def box(self, left: float, top: float, right: float, bottom: float) -> None:
        for x1, y1, x2, y2 in (
            (left, top, right, top),
            (left, bottom, right, bottom),
            (left, top, left, bottom),
            (right, top, right, bottom),
        ):
            self.rule(x1, y1, x2, y2)

    def wrapped(self, text: str, path: str, left: float, right: float, top: float, bottom: float) -> None:
        """备注: as many lines as it needs, each line a run of the same field."""
        size = 3.175
        lines = wrap(text, SONG, size, right - left)
        pitch = min(size * 1.15, (bottom - top) / max(len(lines), 1))
        size = min(size, pitch / 1.1)  # the lines still fit at a smaller size
        for i, line in enumerate(lines):
            self.texts.append(Text(line, left, top + i * pitch, size, SONG, BLACK, field=path))


# --- measuring -------------------------------------------------------------------------------


def text_width(text: str, font: str, size: float) -> float:
    """Width in the unit of ``size`` (mm here), from reportlab's font metrics."""
    return pdfmetrics.stringWidth(text, font, size)


def fit_size(text: str, font: str, size: float, width: float) -> float:
    natural = text_width(text, font, size)
    if natural <= width:
        return size
    return max(MIN_SIZE, size * width / natural)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (character by character, as CJK wraps)."""
    lines, line = [], ""
    for char in text:
        if line and text_width(line + char, font, size) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


# --- printed forms of values -------------------------------------------------------------------


def date_text(day: datetime.date) -> str:
    """``2025年03月07日``, as invoices print the 开票日期."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def rate_text(item: Item) -> str:
    """``13%``, ``免税`` or ``不征税``."""
    if item.tax_rate in SPECIAL_RATES:
        return RATE_WORDS[item.tax_rate]
    percent = (Decimal(item.tax_rate) * 100).normalize()
    return f"{percent:f}%"


def line_tax_text(item: Item) -> str:
    return NO_TAX if item.tax_rate in SPECIAL_RATES else format_amount(item.tax)


def plain(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def grouped(check_code: str) -> str:
    """A 校验码 in groups of five digits, as printed."""
    return " ".join(check_code[i : i + 5] for i in range(0, len(check_code), 5))


def words(invoice: Invoice) -> str:
    """价税合计（大写） as registered, or written from the total when the invoice has none."""
    return invoice.total_in_words or amount_words.to_words(invoice.total)


def cipher(invoice: Invoice, payload: str) -> str:
    """A 密码区 / TaxControlCode of 108 characters, derived from the invoice (not a real cipher)."""
    alphabet = "0123456789+-*/<>"
    seed = f"{invoice.code}|{invoice.number}|{payload}".encode()
    digest = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(4))
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:108])


def region_name(invoice: Invoice) -> str:
    """北京, 天津, 深圳 …: from the 发票代码, as the titles of old e-普票 begin."""
    try:
        return code.parse(invoice.code).region_name
    except ValueError:
        return ""


def title(invoice: Invoice) -> str:
    """The printed title (:mod:`yanpiao.fapiao.formats.titles`); older types' after the region."""
    return titles.printed(invoice.type, region_name(invoice))[0]


def title_mark(invoice: Invoice) -> str:
    """What is printed beside the title: 通行费 on a toll invoice (whose title is the e-普票 one)."""
    return titles.printed(invoice.type)[1]


def field_text(invoice: Invoice, path: str) -> str:
    """A top-level or party field (``amount``, ``buyer.tax_id``) as documents write it: amounts with two
    places, the 开票日期 as printed (``2025年03月07日``), text as it is."""
    owner, _, name = path.rpartition(".")
    value = getattr(getattr(invoice, owner) if owner else invoice, name)
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, datetime.date):
        return date_text(value)
    return value or ""


def item_text(item: Item, name: str) -> str:
    """A line's field as documents write it: rates as printed (``13%``, 免税), *** for the tax of 免税 lines."""
    if name == "tax_rate":
        return rate_text(item)
    if name == "tax":
        return line_tax_text(item)
    if name in ("quantity", "unit_price"):
        return plain(getattr(item, name))
    value = getattr(item, name)
    return format_amount(value) if isinstance(value, Decimal) else value or ""


# --- the 数电 layout -----------------------------------------------------------------------------

# Item columns of a 数电票: (left, right) in mm.
DIGITAL_COLUMNS = {
    "name": (4.5, 46.0),
    "spec": (46.5, 66.0),
    "unit": (66.0, 77.5),
    "quantity": (77.5, 101.5),
    "unit_price": (102.5, 126.5),
    "amount": (127.5, 153.0),
    "tax_rate": (153.0, 179.0),
    "tax": (179.5, 205.0),
}
ITEMS_TOP, ITEMS_BOTTOM, LINE_PITCH = 56.1, 89.5, 4.5
NAME_MIN_SIZE = 2.4  # mm: an item name needing a smaller size wraps instead
# mm kept free at each side of a cell: a reader must not join 50.00 and 不征税 into one word.
CELL_PADDING = {
    "spec": 0.5,
    "unit": 0.5,
    "quantity": 0.8,
    "unit_price": 0.8,
    "amount": 0.8,
    "tax_rate": 1.5,
    "tax": 0.8,
}


def digital_page(invoice: Invoice, payload: str | None = None) -> Page:
    page = Page(title(invoice), payload or qr.of_invoice(invoice), 6.5, 6.0, DIGITAL_INK)
    _digital_head(page, invoice)
    _digital_parties(page, invoice)
    _items(page, invoice, DIGITAL_COLUMNS, header_y=52.8, headers=DIGITAL_HEADERS)
    page.label("合", 22, 91.0)
    page.label("计", 36, 91.0)
    page.amount(invoice.amount, "amount", DIGITAL_COLUMNS["amount"][1], 91.0)
    page.amount(invoice.tax, "tax", DIGITAL_COLUMNS["tax"][1], 91.0)
    _total_row(page, invoice, top=96.0, words_x=63.0, small_x=150.0, right=204.0, divider=56.3)
    page.vertical_label("备注", 6.0, 109.0, 7.0)
    page.rule(10.5, 104.0, 10.5, 124.0)
    page.wrapped(invoice.remarks, "remarks", 11.5, 204.5, 104.8, 123.5)
    page.label("开票人：", 20.0, 129.1)
    page.value(invoice.drawer, "drawer", 32.0, 80.0, 129.1)
    return page


DIGITAL_HEADERS = {
    "name": "项目名称",
    "spec": "规格型号",
    "unit": "单位",
    "quantity": "数量",
    "unit_price": "单价",
    "amount": "金额",
    "tax_rate": "税率/征收率",
    "tax": "税额",
}


def _digital_head(page: Page, invoice: Invoice) -> None:
    size = 7.07
    width = text_width(page.title, SONG, size)
    page.texts.append(Text(page.title, 101.0 - width / 2, 8.0, size, SONG, page.ink, label=True))
    page.rule(65.5, 18.0, 138.5, 18.0, 0.4)
    page.rule(65.5, 19.0, 138.5, 19.0, 0.4)
    page.label("发票号码：", 154.0, 11.0)
    page.value(invoice.number, "number", 170.0, 208.0, 10.9, font=MONO)
    page.label("开票日期：", 154.0, 17.0)
    page.value(date_text(invoice.issue_date), "issue_date", 170.0, 208.0, 17.0)


def _digital_parties(page: Page, invoice: Invoice) -> None:
    page.box(4.5, 30.0, 205.5, 124.0)
    for y in (52.0, 96.0, 104.0):
        page.rule(4.5, y, 205.5, y)
    for x in (10.5, 105.0, 111.0):
        page.rule(x, 30.0, x, 52.0)
    for party, x, label in (("buyer", 4.5, "购买方信息"), ("seller", 105.0, "销售方信息")):
        page.vertical_label(label, x + 1.2, 31.5, 4.0)
        data = getattr(invoice, party)
        page.label("名称：", x + 7.5, 35.0)
        page.value(data.name, f"{party}.name", x + 15.5, x + 99.5, 35.0)
        page.label("统一社会信用代码/纳税人识别号：", x + 7.5, 44.0, 2.8)
        page.value(data.tax_id, f"{party}.tax_id", x + 49.5, x + 100.0, 43.6, 3.6, MONO)


def _items(
    page: Page, invoice: Invoice, columns: dict, header_y: float, headers: dict, top: float = ITEMS_TOP
) -> None:
    """The items table: one row per line, a long name continued on the rows below it."""
    for name, (left, right) in columns.items():
        text = headers[name]
        width = text_width(text, SONG, 3.175)
        page.label(text, (left + right - width) / 2, header_y)
    name_left, name_right = columns["name"]
    names = [_name_lines(item.name, name_right - name_left - 1.0) for item in invoice.items]
    rows = max(sum(len(lines) for lines in names), 1)
    pitch = min(LINE_PITCH, (ITEMS_BOTTOM - top) / rows)
    size = min(3.175, pitch / 1.3)
    y = top
    for i, (item, name_lines) in enumerate(zip(invoice.items, names, strict=True)):
        where = f"items[{i}]"
        cells = (
            ("spec", item.spec, SANS, "center"),
            ("unit", item.unit, SONG, "center"),
            ("quantity", plain(item.quantity), SANS, "right"),
            ("unit_price", plain(item.unit_price), SANS, "right"),
            ("amount", format_amount(item.amount), SANS, "right"),
            ("tax_rate", rate_text(item), SANS, "center"),
            ("tax", line_tax_text(item), SANS, "right"),
        )
        for row, line in enumerate(name_lines):
            page.value(line, f"{where}.name", name_left + 0.5, name_right - 0.5, y + row * pitch, size)
        for name, text, font, align in cells:
            left, right = columns[name]
            pad = CELL_PADDING[name]
            page.value(text, f"{where}.{name}", left + pad, right - pad, y, size, font, align)
        y += pitch * len(name_lines)


def _name_lines(name: str, width: float) -> list[str]:
    """An item name on one line, shrunk down to ``NAME_MIN_SIZE``; longer ones wrap at full size."""
    if fit_size(name, SONG, 3.175, width) >= NAME_MIN_SIZE:
        return [name]
    return wrap(name, SONG, 3.175, width)


def _total_row(
    page: Page, invoice: Invoice, top: float, words_x: float, small_x: float, right: float, divider: float
) -> None:
    """价税合计（大写）⊗ words （小写）¥total, in the band from ``top`` to ``top`` + 8 mm."""
    text = "价税合计（大写）"
    width = text_width(text, SONG, 3.175)
    page.label(text, (4.5 + divider - width) / 2, top + 2.4)
    page.rule(divider, top, divider, top + 8.0)
    page.marks.append(Mark(words_x - 5.0, top + 1.5))
    page.value(words(invoice), "total_in_words", words_x, small_x - 2.0, top + 2.2)
    page.label("（小写）", small_x, top + 2.4)
    page.amount(invoice.total, "total", right, top + 1.9, 3.88)


# --- the old e-普票 layout -----------------------------------------------------------------------

CLASSIC_COLUMNS = {
    "name": (4.5, 58.0),
    "spec": (58.0, 84.0),
    "unit": (84.0, 96.0),
    "quantity": (96.0, 116.0),
    "unit_price": (116.0, 136.0),
    "amount": (136.0, 165.0),
    "tax_rate": (165.0, 176.5),
    "tax": (176.5, 205.5),
}
CLASSIC_HEADERS = {
    "name": "货物或应税劳务、服务名称",
    "spec": "规格型号",
    "unit": "单位",
    "quantity": "数量",
    "unit_price": "单价",
    "amount": "金额",
    "tax_rate": "税率",
    "tax": "税额",
}
PARTY_LABELS = ("名　　　　称:", "纳税人识别号:", "地 址、电 话:", "开户行及账号:")


def classic_page(invoice: Invoice, payload: str | None = None) -> Page:
    page = Page(title(invoice), payload or qr.of_invoice(invoice), 8.5, 3.5, CLASSIC_INK)
    _classic_head(page, invoice)
    page.box(4.5, 29.5, 205.5, 123.5)
    for y in (52.0, 95.5, 103.5):
        page.rule(4.5, y, 205.5, y)
    for x in (10.5, 118.5, 124.5):
        page.rule(x, 29.5, x, 52.0)
        page.rule(x, 103.5, x, 123.5)
    for left, _ in list(CLASSIC_COLUMNS.values())[1:]:
        page.rule(left, 52.0, left, 95.5)
    _classic_party(page, invoice, "buyer", "购买方", 29.5)
    page.vertical_label("密码区", 119.8, 32.5, 6.0)
    code = cipher(invoice, page.qr_payload)
    for row in range(4):
        page.texts.append(Text(code[row * 27 : (row + 1) * 27], 126.3, 31.0 + row * 5.0, 3.8, MONO))
    _items(page, invoice, CLASSIC_COLUMNS, header_y=52.6, headers=CLASSIC_HEADERS)
    page.label("合　　　计", 20.0, 91.0)
    page.amount(invoice.amount, "amount", CLASSIC_COLUMNS["amount"][1] - 0.5, 91.0)
    page.amount(invoice.tax, "tax", CLASSIC_COLUMNS["tax"][1] - 0.5, 91.0)
    _total_row(page, invoice, top=95.5, words_x=63.0, small_x=150.0, right=196.0, divider=56.3)
    _classic_party(page, invoice, "seller", "销售方", 103.5)
    page.vertical_label("备注", 119.8, 107.0, 8.0)
    page.wrapped(invoice.remarks, "remarks", 125.5, 205.0, 104.3, 123.0)
    _classic_foot(page, invoice)
    return page


def _classic_head(page: Page, invoice: Invoice) -> None:
    size = fit_size(page.title, SONG, 6.7, 80.0)
    title_width = text_width(page.title, SONG, size)
    page.texts.append(Text(page.title, 105.0 - title_width / 2, 7.0, size, SONG, page.ink, label=True))
    page.rule(70.0, 16.5, 140.0, 16.5, 0.4)
    page.rule(70.0, 17.5, 140.0, 17.5, 0.4)
    if mark := title_mark(invoice):
        page.label(mark, 40.0, 9.0, 4.0)
    # Before the top-right block, so that text extraction keeps it off the 校验码 line.
    if invoice.machine_no:
        page.label("机器编号:", 6.0, 24.6)
        page.value(invoice.machine_no, "machine_no", 22.0, 60.0, 24.5, font=MONO)
    rows = (
        ("发票代码:", invoice.code, "code"),
        ("发票号码:", invoice.number, "number"),
        ("开票日期:", date_text(invoice.issue_date), "issue_date"),
        ("校 验 码:", grouped(invoice.check_code), "check_code"),
    )
    for i, (label, text, path) in enumerate(rows):
        if not text:
            continue
        y = 6.2 + i * 5.5
        page.label(label, 148.0, y)
        page.value(text, path, 164.0, 206.0, y - 0.1, font=MONO if path != "issue_date" else SONG)


def _classic_party(page: Page, invoice: Invoice, party: str, label: str, top: float) -> None:
    page.vertical_label(label, 6.0, top + 3.5, 6.0)
    data = getattr(invoice, party)
    lines = (
        [(data.name, f"{party}.name", SONG)],
        [(data.tax_id, f"{party}.tax_id", MONO)],
        [(data.address, f"{party}.address", SONG), (data.phone, f"{party}.phone", SANS)],
        [(data.bank, f"{party}.bank", SONG), (data.account, f"{party}.account", SANS)],
    )
    for row, (label, runs) in enumerate(zip(PARTY_LABELS, lines, strict=True)):
        y = top + 0.8 + row * 5.0
        page.label(label, 12.0, y)
        page.run_line(runs, 36.0, 118.0, y)


def _classic_foot(page: Page, invoice: Invoice) -> None:
    for label, text, path, x in (
        ("收 款 人:", invoice.payee, "payee", 6.0),
        ("复 核:", invoice.reviewer, "reviewer", 62.0),
        ("开 票 人:", invoice.drawer, "drawer", 105.0),
    ):
        page.label(label, x, 124.5)
        page.value(text, path, x + 16.0, x + 50.0, 124.5)
    page.label("销 售 方:（章）", 160.0, 124.5)


def page_for(invoice: Invoice, payload: str | None = None) -> Page:
    """The layout of the invoice's type; ``payload`` overrides the QR code's content."""
    if types.is_digital(invoice.type):
        return digital_page(invoice, payload)
    return classic_page(invoice, payload)


__all__ = [
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "QR_SIZE",
    "Mark",
    "Page",
    "Rule",
    "Text",
    "cipher",
    "date_text",
    "field_text",
    "item_text",
    "page_for",
    "rate_text",
]
