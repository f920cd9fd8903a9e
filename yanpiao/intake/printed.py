"""The printed invoice: fields read from positioned text, shared by the PDF text layer and OCR.

Input is text boxes (words or lines) with page coordinates, y down.  Fields are found by
their labels and by position, never by the order of the text: a PDF's text layer lists
labels one character per line (购/买/方), in drawing order, with NUL bytes and full-width
digits, and OCR merges a label and its value into one box (``名称：个人``).  So:

* every box is normalised (NFKC: full-width digits, ``￥`` → ``¥``, ``（`` → ``(``; NUL
  and control characters dropped) and boxes are grouped into rows by their vertical
  centres;
* key fields are read after their labels (发票代码, 发票号码, 开票日期, 校验码, 机器编号),
  falling back to unlabelled numbers at the top of the page (paper 专票 print the code
  and ``№`` number without labels);
* the 购买方 and 销售方 blocks are found by their (often vertical) labels, which decide
  which party is which; without them, position decides (数电: buyer left, seller right;
  older e-普票: buyer above, seller below);
* the items table is read by the columns of its header row, down to the 合计 row.

Fields that cannot be read stay absent, never guessed.  The candidate's findings cover
what the document itself says: 大写 vs 小写, arithmetic (:func:`yanpiao.fapiao.arithmetic.check`)
and specimen / test-party marks (:mod:`yanpiao.intake.specimen`); :func:`merge` adds the
disagreements between text and QR code.

>>> boxes = [TextBox("发票号码：", 430, 30, 470, 40), TextBox("２８４７７７４３", 475, 30, 520, 40),
...          TextBox("开票日期:", 430, 45, 470, 55), TextBox("2017年11月29日", 475, 45, 530, 55)]
>>> c = parse(boxes, "text")
>>> c.fields["number"], c.fields["issue_date"], c.sources["number"]
('28477743', '2017-11-29', 'text')
"""

from __future__ import annotations

import datetime
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.exceptions import ValidationError

from yanpiao.fapiao import amount_words, arithmetic, types
from yanpiao.fapiao import code as invoice_code
from yanpiao.fapiao.compare import normalize_text
from yanpiao.fapiao.findings import ERROR, WARNING, Finding
from yanpiao.fapiao.formats import titles
from yanpiao.fapiao.invoice import CENT, Invoice, Item, Party
from yanpiao.intake import specimen
from yanpiao.intake.candidate import KEY_FIELDS, OCR, QR, TEXT, Candidate
from yanpiao.intake.ocr import TextBox

# --- text and layout --------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\ufeff]")


def normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII), no control characters, single spaces.

    >>> normalise("￥１２.５０\\x00（小写）\\u3000 ")
    '¥12.50(小写)'
    """
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", text or ""))
    return " ".join(text.split())


def label(word: str) -> str:
    """A regex for a label whose characters may be spaced out (``校 验 码``).

    >>> re.search(label("校验码"), "校 验 码: 123") is not None
    True
    """
    return r"\s*".join(re.escape(char) for char in word)


def compact(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 0.1)


@dataclass
class Row:
    """Words on one printed line, left to right."""

    words: list[Word] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> float:
        return max(w.y1 for w in self.words)

    @property
    def cy(self) -> float:
        return statistics.median(w.cy for w in self.words)

    @property
    def height(self) -> float:
        return statistics.median(w.height for w in self.words)

    def within(self, x0: float = float("-inf"), x1: float = float("inf")) -> list[Word]:
        return [w for w in self.words if x0 <= w.cx < x1]

    def text(self, x0: float = float("-inf"), x1: float = float("inf")) -> str:
        return join_words(self.within(x0, x1))


def join_words(words: Sequence[Word]) -> str:
    """Words of one line as text: a space only where the gap between them is visible."""
    parts: list[str] = []
    previous: Word | None = None
    for word in words:
        if previous is not None:
            gap = word.x0 - previous.x1
            digits = previous.text[-1:].isdigit() and word.text[:1].isdigit()  # two numbers, not one
            parts.append(" " if digits or gap > 0.3 * min(word.height, previous.height) else "")
        parts.append(word.text)
        previous = word
    return "".join(parts)


def _rows(words: list[Word], tall: float) -> list[Row]:
    """Group words into rows by vertical centre; tall words (vertical labels) stay alone."""
    rows: list[Row] = []
    for word in sorted(words, key=lambda w: w.cy):
        if word.height > tall:
            rows.append(Row([word]))
            continue
        for row in reversed(rows[-6:]):
            if row.height <= tall and abs(row.cy - word.cy) <= 0.5 * min(row.height, word.height):
                row.words.append(word)
                break
        else:
            rows.append(Row([word]))
    for row in rows:
        row.words.sort(key=lambda w: w.x0)
    rows.sort(key=lambda r: r.cy)
    return rows


class Page:
    """Normalised words of one page, their rows, and the typical character height."""

    def __init__(self, boxes: Iterable[Any], width: float | None = None, height: float | None = None):
        self.words = [
            Word(text, float(b.x0), float(b.y0), float(b.x1), float(b.y1))
            for b in boxes
            if (text := normalise(b.text))
        ]
        self.width = width or max((w.x1 for w in self.words), default=1.0)
        self.height = height or max((w.y1 for w in self.words), default=1.0)
        self.line = statistics.median(w.height for w in self.words) if self.words else 1.0
        self.rows = _rows(self.words, tall=1.8 * self.line)
        self.text = "\n".join(row.text() for row in self.rows)
        self.compact = compact(self.text)

    def rows_matching(self, pattern: str) -> list[Row]:
        return [row for row in self.rows if re.search(pattern, row.text())]

    def top_words(self, fraction: float = 0.3) -> list[Word]:
        limit = self.height * fraction
        return [w for w in self.words if w.cy <= limit]


# --- values -------------------------------------------------------------------------------------

MONEY = re.compile(r"(?<![\d.])-?\d{1,3}(?:,\d{3})+\.\d{2}(?!\d)|(?<![\d.,])-?\d+\.\d{2}(?!\d)")
_NUMERAL_WORDS = re.compile(r"(?:\(负数\))?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]{2,}")


def money(text: str) -> list[str]:
    """Every amount with two decimals in the text, as plain decimal strings.

    >>> money("合 计 ¥734.59 ¥22.04"), money("¥ 1,019.83 x 12.5")
    (['734.59', '22.04'], ['1019.83'])
    """
    return [m.replace(",", "") for m in MONEY.findall(text)]


def _after(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1) if match else None


def _valid_date(year: str, month: str, day: str) -> str | None:
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _rate(text: str) -> str | None:
    """A printed rate as invoice JSON: ``13%`` → ``0.13``; 免税 → ``exempt``; 不征税, ``***`` → ``not_taxable``."""
    text = compact(text)
    if "免税" in text:
        return "exempt"
    if "不征税" in text or re.fullmatch(r"\*{3,}", text):  # toll invoices print 不征税 as ***
        return "not_taxable"
    match = re.fullmatch(r"(\d{1,2}(?:\.\d+)?)%", text)
    if not match:
        return None
    rate = Decimal(match.group(1)) / 100
    return format(rate.normalize(), "f") if rate else "0"


# --- key fields -------------------------------------------------------------------------------

NOT_INVOICE_TITLES = ("收款凭证", "货票", "收据", "对账单", "行程单")
HEADER_BAND = 0.3  # of the page's height: where titles, numbers and dates are printed


def invoice_type(page: Page) -> str | None:
    """The type code from the title (:mod:`yanpiao.fapiao.formats.titles`): in the header band, else
    wherever the page prints it.

    An e-普票 with a 通行费 mark near the top, 通行费 columns (车牌号, 通行日期) is a toll invoice (14).
    """
    marks = [w.text for w in page.top_words(0.2)]
    if "车牌号" in page.compact and "通行日期" in page.compact:
        marks.append(titles.TOLL_MARK)
    header = compact("".join(row.text() for row in page.rows if row.cy <= page.height * HEADER_BAND))
    return titles.read_type(header, marks) or titles.read_type(page.compact, marks) or None


def title(page: Page) -> str:
    """The document's title: an invoice title anywhere in the header band (代开 invoices print a
    税务代开 mark and move things about), else the largest line of text in the top quarter."""
    for row in page.rows:
        if row.cy <= page.height * HEADER_BAND:
            for run in runs(row.words, 2 * page.line):
                if titles.read_type(text := compact(join_words(run))):
                    return text
    top = [w for w in page.top_words(0.25) if re.search(r"[\u4e00-\u9fff]", w.text)]
    if not top:
        return ""
    biggest = max(top, key=lambda w: w.height)
    row = next((r for r in page.rows if biggest in r.words), None)
    near = [w for w in (row.words if row else [biggest]) if w.height >= 0.7 * biggest.height]
    return compact(join_words(near)) or biggest.text


def _plausible_code(value: str) -> bool:
    """A 10/12-digit number that reads as a 发票代码 (known province, 12 digits start 0 or 1)."""
    if len(value) == 12 and value[0] not in "01":
        return False
    try:
        return invoice_code.parse(value).region[:2] in invoice_code.PROVINCES
    except ValidationError:
        return False


def _digits_after(name: str, lengths: tuple[int, ...], text: str) -> str | None:
    """The number printed after a label: all its digits (spaces inside allowed), or its first group.

    >>> _digits_after("校验码", (20,), "校 验 码: 16707 18454 90097 07698")
    '16707184549009707698'
    >>> _digits_after("发票号码", (8, 20), "发票号码:33207675 12")
    '33207675'
    """
    match = re.search(label(name) + r"[\s:]*(\d[\d ]*)", text)
    if not match:
        return None
    run = match.group(1).strip()
    for value in (compact(run), run.split(" ")[0]):
        if len(value) in lengths:
            return value
    return None


def _unlabelled(page: Page, pattern: str, exclude_after: str = "机器编号") -> list[str]:
    """Whole words at the top of the page matching ``pattern`` and not right after ``exclude_after``."""
    found = []
    for row in page.rows:
        if row.cy > page.height * 0.3:
            continue
        previous = ""
        for word in row.words:
            if re.fullmatch(pattern, word.text) and not re.search(label(exclude_after) + r"\W*$", previous):
                found.append(compact(word.text))
            previous = word.text
    return found


def code_of(page: Page) -> str | None:
    value = _digits_after("发票代码", (10, 12), page.text)
    if value or re.search(label("发票代码"), page.text):
        return value
        return None
    for value in _unlabelled(page, r"\d{10}|\d{12}"):
        if _plausible_code(value):
            return value
    return None


def number_of(page: Page) -> str | None:
    value = _digits_after("发票号码", (8, 20), page.text)
    if value:
        return value
    value = _after(r"No\.?\s*:?\s*(\d{8})(?!\d)", page.text)
    if value:
        return value
    if re.search(label("发票号码"), page.text):
        return None
    if not (invoice_type(page) or code_of(page)):
        return None  # a bare 8-digit number is an invoice number only on an invoice
    for value in _unlabelled(page, r"\d{8}"):
        if not _valid_date(value[:4], value[4:6], value[6:]) or not value.startswith(("19", "20")):
            return value
    return None


_DATE = r"(\d{4})\s*年?\s*(\d{1,2})\s*月?\s*(\d{1,2})\s*日?"


def issue_date_of(page: Page) -> str | None:
    match = re.search(label("开票日期") + r"[\s:]*" + _DATE, page.text)
    if match:
        return _valid_date(*match.groups())
    if re.search(label("开票日期"), page.text) or not (invoice_type(page) or code_of(page)):
        return None
    for text in (word.text for word in page.top_words()):
        match = re.fullmatch(
            r"(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(20\d{2}) (\d{2}) (\d{2})", text
        )
        if match:
            return _valid_date(*[g for g in match.groups() if g])
    return None


def check_code_of(page: Page) -> str | None:
    value = _digits_after("校验码", (20,), page.text)
    if value:
        return value
    grouped = _unlabelled(page, r"\d{5} \d{5} \d{5} \d{5}")
    return grouped[0] if grouped else None


def machine_no_of(page: Page) -> str | None:
    return _digits_after("机器编号", (12,), page.text)


# --- totals ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    amount: str | None = None
    tax: str | None = None
    total: str | None = None
    words: str | None = None
    row: Row | None = None  # the 价税合计 row
    sum_row: Row | None = None  # the 合计 row


def totals_of(page: Page) -> Totals:
    totals = Totals()
    for row in page.rows:
        text = row.text()
        if re.search(label("价税合计") + "|" + label("小写") + "|" + label("大写"), text):
            totals.row = row
            after_small = re.split(label("小写") + r"\)?", text, maxsplit=1)
            amounts = money(after_small[1]) if len(after_small) == 2 else []
            amounts = amounts or money(text)
            if amounts:
                totals.total = amounts[-1]
            words = _NUMERAL_WORDS.findall(compact(text).replace("价税合计", ""))
            words = [w for w in words if re.search("[圆元角分]", w)]
            if words:
                totals.words = max(words, key=len)
            break
    for row in page.rows:
        text = compact(row.text())
        if row is totals.row or (totals.row is not None and row.cy >= totals.row.cy):
            continue
        if re.search(r"(?<!价税)合计", text) or (
            # 合 or 计 may be lost (OCR) or apart from the amounts: ¥ amounts and nothing but 合/计
            totals.row is not None and text.count("¥") >= 2 and not re.sub(r"[合计¥\d.,\-*]", "", text)
        ):
            totals.sum_row = row
    if totals.sum_row is not None:
        amounts = money(totals.sum_row.text())
        if amounts:
            totals.amount = amounts[0]
        if len(amounts) >= 2:
            totals.tax = amounts[1]
        elif amounts and "*" in totals.sum_row.text():
            totals.tax = "0.00"
    return totals


# --- parties ------------------------------------------------------------------------------------

BUYER_WORDS = ("购买方信息", "购买方", "购货单位", "购方")
SELLER_WORDS = ("销售方信息", "销售方", "销货单位", "销方")
PARTY_LABELS = {
    "name": label("名称"),
    "tax_id": r"(?:统一社会信用代码\s*/\s*)?" + label("纳税人识别号") + "|" + label("统一社会信用代码"),
    "address_phone": label("地址") + r"\s*[、,]?\s*" + label("电话"),
    "bank_account": label("开户行及") + r"\s*[账帐]\s*号",
}
_ANY_PARTY_LABEL = "|".join(f"(?:{pattern})" for pattern in PARTY_LABELS.values())
# Labels of the boxes beside the party blocks: the cipher area and the remarks.
_SIDE_LABELS = ("密", "码", "区", "密码区", "备", "注", "备注")


@dataclass(frozen=True)
class Block:
    x0: float
    y0: float
    x1: float
    y1: float


def _stack(page: Page, first: Word, chars: str) -> Word | None:
    """The vertical label that starts at ``first`` and spells ``chars`` downwards, as one box."""
    boxes = [first]
    for char in chars[1:]:
        below = [
            w
            for w in page.words
            if w.text.startswith(char)
            and len(w.text) <= 2
            and w.cy > boxes[-1].cy
            and w.y0 - boxes[-1].y1 < 2.5 * page.line
            and min(w.x1, first.x1) - max(w.x0, first.x0) > 0
        ]
        if not below:
            break
        boxes.append(min(below, key=lambda w: w.cy))
    if len(boxes) < 2:
        return None
    return Word(
        chars[: len(boxes)],
        min(b.x0 for b in boxes),
        boxes[0].y0,
        max(b.x1 for b in boxes),
        boxes[-1].y1,
    )


def _anchor(page: Page, words: Sequence[str]) -> Word | None:
    """The party label: one box (``购买方``), or one character per box stacked downwards."""
    for word in page.words:
        text = compact(word.text).rstrip(":")
        if text in words:
            return word
        for full in words:
            if text == full[0]:
                stacked = _stack(page, word, full)
                if stacked is not None and stacked.text in {w[: len(stacked.text)] for w in words}:
                    return stacked
    return None


def _right_edge(page: Page, anchor: Word, y0: float, y1: float, others: Sequence[Word]) -> float:
    """Where a party block ends on the right: the next block's label or the cipher/remarks label."""
    edges = [other.x0 for other in others if other.x0 > anchor.x1 and other.y1 > y0 and other.y0 < y1]
    edges += [
        w.x0
        for w in page.words
        if compact(w.text) in _SIDE_LABELS and w.x0 > anchor.x1 + 4 * page.line and y0 <= w.cy <= y1
    ]
    return min(edges, default=page.width + 1)


def _blocks_by_anchor(page: Page) -> dict[str, Block]:
    anchors = {"buyer": _anchor(page, BUYER_WORDS), "seller": _anchor(page, SELLER_WORDS)}
    found = {role: a for role, a in anchors.items() if a is not None}
    blocks = {}
    for role, anchor in found.items():
        slack = 1.6 * page.line
        y0, y1 = anchor.y0 - slack, anchor.y1 + slack
        others = [a for r, a in found.items() if r != role]
        blocks[role] = Block(anchor.x1, y0, _right_edge(page, anchor, y0, y1, others), y1)
    return blocks


def runs(words: Sequence[Word], gap: float) -> list[list[Word]]:
    """Words of a row split where the space between two of them is wider than ``gap``."""
    found: list[list[Word]] = []
    for word in words:
        if found and word.x0 - found[-1][-1].x1 <= gap:
            found[-1].append(word)
        else:
            found.append([word])
    return found


def _blocks_by_position(page: Page) -> dict[str, Block]:
    """Without party labels: the 名称 labels, left/right (数电) or above/below (older e-普票)."""
    names = [
        (row, run[0])
        for row in page.rows
        for run in runs(row.words, 4 * page.line)
        if re.match(PARTY_LABELS["name"] + r"\s*:", join_words(run))
    ]
    if len(names) != 2:
        return {}
    (row_a, a), (row_b, b) = names
    depth = 6 * page.line
    if row_a is row_b:
        left, right = sorted((a, b), key=lambda w: w.x0)
        return {
            "buyer": Block(left.x0 - 1, left.y0 - page.line, right.x0, left.y0 + depth),
            "seller": Block(right.x0 - 1, right.y0 - page.line, page.width + 1, right.y0 + depth),
        }
    top, bottom = sorted((a, b), key=lambda w: w.cy)
    return {
        "buyer": Block(top.x0 - 1, top.y0 - page.line, page.width + 1, top.y0 + depth),
        "seller": Block(bottom.x0 - 1, bottom.y0 - page.line, page.width + 1, bottom.y0 + depth),
    }


def _split_tail(value: str, tail: str) -> tuple[str, str]:
    """``(head, tail)`` where ``tail`` matches the end of the value (a phone or an account)."""
    match = re.search(rf"\s*({tail})\s*$", value)
    if not match:
        return value.strip(), ""
    return value[: match.start()].strip(), match.group(1).strip("- ")


def _party(page: Page, block: Block) -> dict[str, str]:
    party: dict[str, str] = {}
    texts = [
        join_words(run)
        for row in page.rows
        if block.y0 <= row.cy <= block.y1
        for run in runs(row.within(block.x0, block.x1), 4 * page.line)
    ]
    for text in texts:
        for name, pattern in PARTY_LABELS.items():
            match = re.search(rf"(?:{pattern})\s*:?", text)
            if not match or name in party:
                continue
            rest = text[match.end() :]
            following = re.search(_ANY_PARTY_LABEL, rest)
            party[name] = (rest[: following.start()] if following else rest).strip(" :")
    result = {"name": party.get("name", "")}
    tax_id = compact(party.get("tax_id", "")).upper()
    if re.fullmatch(r"[0-9A-Z]{15,20}", tax_id):
        result["tax_id"] = tax_id
    address, phone = _split_tail(party.get("address_phone", ""), r"(?:\(?\d{3,4}\)?-?)?\d{7,8}|1\d{10}")
    account, bank = _split_tail(party.get("bank_account", ""), r"[\d-]{6,}\d")[::-1]
    result.update(address=compact_cjk(address), phone=phone, bank=compact_cjk(bank), account=account)
    return {k: v for k, v in result.items() if v}


def compact_cjk(text: str) -> str:
    """Spaces removed where they touch a CJK character (a layout gap, not a word break).

    >>> compact_cjk("杭州市滨江区滨安路 760 号"), compact_cjk("Room 5 B")
    ('杭州市滨江区滨安路760号', 'Room 5 B')
    """
    return re.sub(r"\s+(?=[\u3000-\u9fff])|(?<=[\u3000-\u9fff])\s+", "", text).strip()


def parties_of(page: Page) -> dict[str, dict[str, str]]:
    blocks = _blocks_by_anchor(page) or _blocks_by_position(page)
    parties = {role: _party(page, block) for role, block in blocks.items()}
    return {role: party for role, party in parties.items() if party}


# --- items ----------------------------------------------------------------------------------------

COLUMNS = (
    ("name", r"项目名称|货物或应税劳务\S*名称|服务名称|名称"),
    ("spec", r"规格型号|规格"),
    ("plate", r"车牌号"),
    ("vehicle", r"类型"),
    ("unit", r"单位"),
    ("quantity", r"数量"),
    ("unit_price", r"单价"),
    ("amount", r"金额"),
    ("tax_rate", r"税率/征收率|税率|征收率"),
    ("tax", r"税额"),
)


def _columns(row: Row) -> dict[str, tuple[float, float]]:
    """The x extent of each column label in the items header row."""
    text = ""
    owners: list[Word] = []
    for word in row.words:
        for char in word.text:
            if not char.isspace():
                text += char
                owners.append(word)
    extents: dict[str, tuple[float, float]] = {}
    taken: set[int] = set()
    for name, pattern in COLUMNS:
        for match in re.finditer(pattern, text):
            if any(i in taken for i in range(match.start(), match.end())):
                continue
            spanned = owners[match.start() : match.end()]
            extents[name] = (min(w.x0 for w in spanned), max(w.x1 for w in spanned))
            taken.update(range(match.start(), match.end()))
            break
    return extents


def _header(page: Page) -> Row | None:
    for row in page.rows:
        text = compact(row.text())
        if "金额" in text and "税额" in text and re.search("名称|项目", text):
            return row
    return None


_RATE = re.compile(r"\d{1,2}(?:\.\d+)?%|免税|不征税")


def _column_of(word: Word, bounds: list[tuple[str, float]]) -> str:
    """The column a word belongs to: rates by their form, anything else by position."""
    column = bounds[0][0]
    for name, left in bounds:
        if word.cx >= left:
            column = name
    if column == bounds[0][0]:
        return column  # item names may be anything, 13% and *** included
    if _RATE.fullmatch(compact(word.text)):
        return "tax_rate"
    if re.fullmatch(r"\*{3,}", word.text):  # the tax of a 免税 line; rate and tax of a 不征税 one
        return column if column in ("tax_rate", "tax") else "tax"
    if column == "tax_rate":  # a number never goes into the rate column: to the nearer neighbour
        index = [name for name, _ in bounds].index("tax_rate")
        left = bounds[index][1]
        right = bounds[index + 1][1] if index + 1 < len(bounds) else float("inf")
        column = bounds[index - 1][0] if word.cx - left < right - word.cx else bounds[index + 1][0]
    return column


def _cells(row: Row, extents: dict[str, tuple[float, float]]) -> dict[str, str]:
    """The row's words by column; columns meet halfway between their header labels."""
    ordered = sorted(extents.items(), key=lambda item: item[1][0])
    bounds = [(ordered[0][0], float("-inf"))]
    for (_, (_, previous_right)), (name, (left, _)) in zip(ordered, ordered[1:], strict=False):
        bounds.append((name, (previous_right + left) / 2))
    cells: dict[str, list[Word]] = {}
    for word in row.words:
        cells.setdefault(_column_of(word, bounds), []).append(word)
    return {name: join_words(words) for name, words in cells.items()}


def _item(cells: dict[str, str]) -> dict[str, str] | None:
    amount = money(cells.get("amount", ""))
    rate = _rate(cells.get("tax_rate", ""))
    tax_text = compact(cells.get("tax", ""))
    tax = money(tax_text) or (["0.00"] if re.fullmatch(r"\*+", tax_text) else [])
    if not amount or rate is None or not tax:
        return None
    item = {"name": compact_cjk(cells.get("name", "")), "amount": amount[0], "tax_rate": rate, "tax": tax[0]}
    for name in ("spec", "unit"):
        if cells.get(name):
            item[name] = cells[name]
    for name in ("quantity", "unit_price"):
        value = compact(cells.get(name, ""))
        if re.fullmatch(r"-?\d+(\.\d+)?", value):
            item[name] = value
    return item


def items_of(page: Page, totals: Totals) -> list[dict[str, str]] | None:
    """The item lines, or None when the table cannot be read line by line.

    A line that wraps (a long name) continues the item above it.  A summary line pointing to
    a separate list (``详见销货清单``) is not an item list.
    """
    header = _header(page)
    if header is None:
        return None
    extents = _columns(header)
    if not {"name", "amount", "tax_rate", "tax"} <= extents.keys():
        return None
    bottom = totals.sum_row.cy if totals.sum_row else totals.row.cy if totals.row else page.height
    items: list[dict[str, str]] = []
    for row in page.rows:
        if not header.cy < row.cy < bottom or row.height > 1.8 * page.line:
            continue  # a tall row is a vertical label beside the table (第二联:抵扣联, 税总函)
        cells = _cells(row, extents)
        item = _item(cells)
        if item is not None:
            items.append(item)
        elif items and set(cells) <= {"name", "spec"}:
            for name in ("name", "spec"):
                if cells.get(name):
                    items[-1][name] = compact_cjk(items[-1].get(name, "") + cells[name])
        else:
            return None
    if not items or any(not _readable_name(item["name"]) for item in items):
        return None
    return items


def _readable_name(name: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fffA-Za-z]", name)) and not ("详见" in name and "清单" in name)


# --- remarks and signatures -------------------------------------------------------------------------

_SIGNATURES = {"payee": label("收款人"), "reviewer": label("复核") + "人?", "drawer": label("开票人")}
_FOOTER_LABELS = "|".join([*_SIGNATURES.values(), label("销售方"), label("销货单位")])


def signatures_of(page: Page) -> dict[str, str]:
    rows = page.rows_matching(label("开票人"))
    if not rows:
        return {}
    text = rows[-1].text()
    found = {}
    for name, pattern in _SIGNATURES.items():
        match = re.search(rf"(?:{pattern})\s*:", text) or re.search(pattern, text)
        if match:
            rest = text[match.end() :]
            following = re.search(_FOOTER_LABELS, rest)
            value = (rest[: following.start()] if following else rest).strip(" :;")
            if value and ":" not in value:
                found[name] = value
    return found


def remarks_of(page: Page, totals: Totals, seller_tax_id: str = "", source: str = TEXT) -> str | None:
    """The text right of the 备注 label, between the 价税合计 row and the signatures."""
    label_word = next((w for w in page.words if compact(w.text) in ("备", "备注")), None)
    if label_word is None:
        return None
    bottom_word = _stack(page, label_word, "备注") or label_word
    slack = 1.6 * page.line
    top = max(bottom_word.y0 - slack, totals.row.y1 if totals.row else float("-inf"))
    signature_rows = page.rows_matching(label("开票人"))
    end = signature_rows[-1].y0 if signature_rows else float("inf")
    lines = []
    for row in page.rows:
        if top <= row.cy <= min(bottom_word.y1 + slack, end):
            text = row.text(bottom_word.x1 + 1)
            if (
                text
                and compact(text) not in ("备", "注", "备注")
                and not _seal_text(text, seller_tax_id, source)
            ):
                lines.append(text)
    return "\n".join(lines) or None


def _seal_text(text: str, seller_tax_id: str, source: str) -> bool:
    """Text of the seller's red seal, which is stamped over the remarks.

    OCR reads the seal's ring as odd single characters, and its centre as the seller's tax ID.
    """
    text = compact(text)
    if "发票专用章" in text or (bool(seller_tax_id) and text == seller_tax_id):
        return True
    return source == OCR and len(text) == 1


# --- the candidate -------------------------------------------------------------------------------


def parse(
    boxes: Iterable[Any], source: str, width: float | None = None, height: float | None = None
) -> Candidate:
    """A candidate with every field the printed text shows (``source`` is ``text`` or ``ocr``)."""
    return parse_page(Page(boxes, width, height), source)


def parse_page(page: Page, source: str) -> Candidate:
    """Like :func:`parse`, for a page already laid out."""
    candidate = Candidate()
    keys = {
        "type": invoice_type(page),
        "code": code_of(page),
        "number": number_of(page),
        "issue_date": issue_date_of(page),
        "check_code": check_code_of(page),
        "machine_no": machine_no_of(page),
    }
    for name, value in keys.items():
        candidate.set(name, value, source)
    parties = parties_of(page)
    for role in ("seller", "buyer"):
        for name, value in parties.get(role, {}).items():
            candidate.set(f"{role}.{name}", value, source)
    totals = totals_of(page)
    candidate.set("items", items_of(page, totals), source)
    for name in ("amount", "tax", "total"):
        candidate.set(name, getattr(totals, name), source)
    candidate.set("total_in_words", totals.words, source)
    seller_tax_id = parties.get("seller", {}).get("tax_id", "")
    candidate.set("remarks", remarks_of(page, totals, seller_tax_id, source), source)
    for name, value in signatures_of(page).items():
        candidate.set(name, value, source)
    candidate.findings += document_findings(
        candidate, specimen.markers(page.compact, parties, specimen.content_of(candidate.fields))
    )
    return candidate


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


def document_findings(candidate: Candidate, markers: Sequence[str] = ()) -> list[Finding]:
    """大写 vs 小写, the arithmetic of the printed amounts, and specimen markers."""
    findings = []
    total = _decimal(candidate.get("total"))
    words = candidate.get("total_in_words")
    if words and total is not None and not amount_words.words_match(words, total):
        findings.append(
            Finding(
                "amount_words.mismatch",
                "total_in_words",
                ERROR,
                f"价税合计（大写） {words!r} does not state the printed total (小写) {total}",
            )
        )
    findings += _arithmetic(candidate)
    if markers:
        findings.append(specimen.finding(markers))
    return findings


def _arithmetic(candidate: Candidate) -> list[Finding]:
    amount, tax, total = (_decimal(candidate.get(name)) for name in ("amount", "tax", "total"))
    if amount is None or tax is None or total is None:
        return []
    try:
        items = tuple(
            Item(line["name"], Decimal(line["amount"]), line["tax_rate"], Decimal(line["tax"]))
            for line in candidate.get("items", [])
        )
        invoice = Invoice(
            type=candidate.get("type"),
            number=candidate.get("number"),
            issue_date=datetime.date.min,
            seller=Party(),
            buyer=Party(),
            amount=amount,
            tax=tax,
            total=total,
            items=items,
        )
        return arithmetic.check(invoice)
    except (InvalidOperation, KeyError, ValueError):
        return []


# --- text and QR together ---------------------------------------------------------------------------

FIELD_LABELS = {
    "type": "type (票种)",
    "code": "发票代码 (code)",
    "number": "发票号码 (number)",
    "issue_date": "开票日期 (issue date)",
    "amount": "金额 (amount excl. tax)",
    "check_code": "校验码 (check code)",
    "total": "价税合计 (total)",
}
# 收费公路通行费 e-普票 print 通行费 columns, while their QR codes carry type 10.
_COMPATIBLE_TYPES = {(types.TOLL, types.E_ORDINARY_VAT)}


def _same(name: str, printed: str, encoded: str) -> bool:
    if name in ("amount", "total"):
        return _decimal(printed) == _decimal(encoded)
    return normalize_text(printed) == normalize_text(encoded)


def merge(text: Candidate, qr_candidate: Candidate) -> Candidate:
    """One candidate from the printed text and the QR code of the same invoice.

    Content comes from the text and the key (``candidate.qr``) from the QR code; QR values
    fill the key fields the text lacks; a key field printed differently from the QR code is a
    ``consistency.qr_text`` warning (and, as content, compares as tampered).

    >>> from yanpiao.intake.qr_text import candidate_from_payload
    >>> printed = Candidate()
    >>> printed.set("number", "26427000000375586818", "text"); printed.set("total", "10.80", "text")
    >>> merged = merge(printed, candidate_from_payload("01,32,,26427000000375586818,10.70,20260430,,FAFB"))
    >>> merged.fields["total"], merged.qr["total"], merged.sources["issue_date"]
    ('10.80', '10.70', 'qr')
    >>> [(f.rule, f.field) for f in merged.findings]
    [('consistency.qr_text', 'total')]
    """
    merged = Candidate(
        fields=dict(text.fields),
        qr=dict(qr_candidate.qr),
        qr_text=qr_candidate.qr_text,
        sources=dict(text.sources),
        findings=[*qr_candidate.findings, *text.findings],
        page=text.page if text.page is not None else qr_candidate.page,
    )
    for name in KEY_FIELDS:
        encoded = qr_candidate.qr.get(name, "")
        printed = text.get(name)
        if not encoded:
            continue
        if not printed or (name == "type" and (printed, encoded) in _COMPATIBLE_TYPES):
            merged.set(name, encoded, QR)
        elif not _same(name, str(printed), encoded):
            merged.findings.append(
                Finding(
                    "consistency.qr_text",
                    name,
                    WARNING,
                    f"the printed {FIELD_LABELS[name]} {printed} differs from the QR code's {encoded}",
                )
            )
    return merged


def pair(texts: Sequence[Candidate], qr_candidates: Sequence[Candidate]) -> list[Candidate]:
    """Merge each printed candidate with the QR candidate of the same number (or the only one)."""
    remaining = list(qr_candidates)
    merged = []
    for text in texts:
        match = next((q for q in remaining if q.get("number") == text.get("number")), None)
        if match is None and len(remaining) == 1 and len(texts) == 1:
            match = remaining[0]
        if match is not None:
            remaining.remove(match)
            merged.append(merge(text, match))
        else:
            merged.append(text)
    return merged + remaining


def looks_like_invoice(candidate: Candidate) -> bool:
    """The printed text shows an invoice: a 发票号码, or an invoice title and a date."""
    return bool(candidate.get("number") or (candidate.get("type") and candidate.get("issue_date")))


def not_invoice_title(page_title: str) -> bool:
    return any(word in page_title for word in NOT_INVOICE_TITLES)


# Documents that are often handed in as invoices but are not VAT invoices, by words they print.
NOT_INVOICE_DOCUMENTS = (
    (
        ("中国铁路", "12306", "95306"),
        "a paper railway ticket (铁路客票): a reimbursement voucher with no 发票代码 or 发票号码, "
        "outside the VAT invoice registry, so it cannot be verified here",
    ),
)


def describe(page: Page) -> str:
    """What a page that shows no invoice is, for the refusal: a known other document, or its title."""
    for words, description in NOT_INVOICE_DOCUMENTS:
        if any(word in page.compact for word in words):
            return description
    page_title = title(page)
    return f"its title reads {page_title!r}" if page_title else ""


__all__ = [
    "Page",
    "TextBox",
    "describe",
    "document_findings",
    "looks_like_invoice",
    "merge",
    "normalise",
    "not_invoice_title",
    "pair",
    "parse",
    "parse_page",
    "title",
]
