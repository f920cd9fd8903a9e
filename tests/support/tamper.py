"""Tampered copies: an invoice with exactly one printed, non-key field changed, as a forger would.

:func:`tamper` returns the altered invoice and the field's dotted invoice-JSON path
(``buyer.name``, ``items[0].amount``, ``remarks`` …).  Render the copy with the *original*
invoice's QR payload (``render_pdf(copy, qr_payload=qr.of_invoice(original))``): a forger
edits the printed text and leaves the QR code alone, so the key fields still match and the
verifier must answer ``tampered``, not ``mismatch``.

Never changed: the type, 发票代码, 发票号码, 开票日期, 校验码 and 机器编号, nor the amount field the
national platform verifies the type by (价税合计 for 数电票, the amount excl. tax for 专票); a
change there gives ``mismatch``.  Only fields the type's layout prints are chosen (a 数电票
prints no party addresses), and never to an empty value (an empty field counts as "not
printed").  Changes keep the field's format: a company name stays a company name, a tax ID
stays a valid 统一社会信用代码, an amount gets one digit raised.  The arithmetic is not fixed
up (合计 no longer equals the lines, 大写 no longer the 小写): forgers often don't either.

>>> from tests import factories
>>> original = factories.invoice(type="32")
>>> copy, path = tamper(original, seed=3)
>>> path in FIELDS_NEVER_CHANGED, copy.number == original.number
(False, True)
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

from yanpiao.documents import layout
from yanpiao.fapiao import types, uscc
from yanpiao.fapiao.invoice import SPECIAL_RATES, Invoice, from_json, to_json

FIELDS_NEVER_CHANGED = frozenset(
    {"type", "code", "number", "issue_date", "check_code", "machine_no", "total_in_words", "status"}
)
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
TRADE_CHARACTERS = "华信达通源盛宏泰远恒鑫瑞丰嘉德润安博创启航新联腾祥隆"
GIVEN_CHARACTERS = "伟芳敏静丽强磊军洋勇艳杰娟涛明超霞平刚华红鑫婷斌宇浩凯健俊帆旭宁峰琳晨欣悦"
PRODUCT_NAMES = ("服务费", "咨询费", "技术服务费", "会议费", "办公用品", "材料费", "维修费", "培训费")
UNITS = ("次", "项", "个", "台", "套", "件", "批", "年", "月")
RATES = ("0.13", "0.09", "0.06", "0.03", "0.01")
AMOUNT_FIELDS = frozenset({"amount", "tax", "total", "unit_price"})
_PATH = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def tamper(invoice: Invoice, seed: int) -> tuple[Invoice, str]:
    """A copy with one printed non-key field changed, and that field's path."""
    rng = random.Random(seed)
    data = to_json(invoice)
    groups: dict[str, list[str]] = {}
    for path in tamperable_fields(invoice):
        groups.setdefault(_group(path), []).append(path)
    # A group first (party, line, totals, people, remarks), so that 8 item columns do not crowd out the rest.
    group = rng.choice(sorted(groups))
    path = rng.choice(groups[group])
    old = get(data, path)
    set_(data, path, change(path, old, rng))
    return from_json(data), path


def tamperable_fields(invoice: Invoice) -> list[str]:
    """Printed, non-empty fields whose change the verifier must report as ``tampered``."""
    never = FIELDS_NEVER_CHANGED | {types.key_amount_field(invoice.type)}
    data = to_json(invoice)
    fields = []
    for path in sorted(layout.page_for(invoice).printed_fields()):
        leaf = path.rsplit(".", 1)[-1]
        if path in never or leaf in never or get(data, path) in ("", None):
            continue
        if path.startswith("items[") and leaf in ("tax", "tax_rate") and _special_line(data, path):
            continue  # 免税 / 不征税 lines print *** and the word, not a number
        fields.append(path)
    return fields


def _special_line(data: dict, path: str) -> bool:
    return get(data, path.rsplit(".", 1)[0] + ".tax_rate") in SPECIAL_RATES


def _group(path: str) -> str:
    head = path.split(".", 1)[0]
    if head in ("amount", "tax", "total"):
        return "totals"
    if head in ("drawer", "payee", "reviewer"):
        return "people"
    return head


# --- paths in invoice JSON --------------------------------------------------------------------------


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        match = _PATH.fullmatch(part)
        if match is None:
            raise ValueError(f"not an invoice-JSON path: {path!r}")
        steps.append(match.group(1))
        if match.group(2) is not None:
            steps.append(int(match.group(2)))
    return steps


def get(data: dict, path: str) -> Any:
    value: Any = data
    for step in _steps(path):
        value = value[step]
    return value


def set_(data: dict, path: str, value: Any) -> None:
    *parents, last = _steps(path)
    target: Any = data
    for step in parents:
        target = target[step]
    target[last] = value


# --- plausible changes ------------------------------------------------------------------------------


def change(path: str, value: str, rng: random.Random) -> str:
    """A different value of the same kind as ``value``, for the field at ``path``."""
    leaf = path.rsplit(".", 1)[-1]
    changers = {
        "name": _product_name if path.startswith("items[") else _party_or_person_name,
        "tax_id": _tax_id,
        "address": _digit_or_character,
        "phone": _digit,
        "account": _digit,
        "bank": _character,
        "spec": _digit_or_character,
        "unit": lambda text, r: _other(UNITS, text, r),
        "quantity": _quantity,
        "tax_rate": lambda text, r: _other(RATES, text, r),
        "remarks": _digit_or_character,
        "drawer": _person_name,
        "payee": _person_name,
        "reviewer": _person_name,
    }
    changer = _amount if leaf in AMOUNT_FIELDS else changers[leaf]
    for _ in range(20):
        new = changer(value, rng)
        if new != value:
            return new
    raise ValueError(f"cannot change {path} = {value!r}")


def _other(choices: tuple[str, ...], value: str, rng: random.Random) -> str:
    return rng.choice([c for c in choices if c != value])


def _replace_at(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _character(text: str, rng: random.Random, pool: str = TRADE_CHARACTERS, end: int | None = None) -> str:
    """One CJK character (before ``end``) replaced by another from ``pool``."""
    end = len(text) if end is None else end
    positions = [i for i, ch in enumerate(text[:end]) if _is_cjk(ch)]
    if not positions:
        return _digit(text, rng)
    index = rng.choice(positions)
    return _replace_at(text, index, rng.choice([c for c in pool if c != text[index]]))


def _digit(text: str, rng: random.Random) -> str:
    """One digit replaced by another (the first digit stays non-zero)."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not positions:
        return _character(text, rng)
    index = rng.choice(positions)
    low = 1 if index == positions[0] and text[index] != "0" else 0
    return _replace_at(text, index, rng.choice([d for d in "0123456789"[low:] if d != text[index]]))


def _digit_or_character(text: str, rng: random.Random) -> str:
    return _digit(text, rng) if any(ch.isdigit() for ch in text) else _character(text, rng)


def _party_or_person_name(text: str, rng: random.Random) -> str:
    if len(text) <= 4:
        return _person_name(text, rng)
    suffix = next((s for s in COMPANY_SUFFIXES if text.endswith(s)), "")
    # Keep the city (the first two characters) and the legal form: change the 字号 or industry.
    start, end = min(2, len(text) - len(suffix) - 1), len(text) - len(suffix)
    middle = _character(text[start:end], rng)
    return text[:start] + middle + suffix


def _person_name(text: str, rng: random.Random) -> str:
    """A different given name under the same surname."""
    if len(text) < 2:
        return text + rng.choice(GIVEN_CHARACTERS)
    index = rng.randrange(1, len(text))
    return _replace_at(text, index, rng.choice([c for c in GIVEN_CHARACTERS if c != text[index]]))


def _product_name(text: str, rng: random.Random) -> str:
    """``*简称*品名`` with another 品名 under the same 简称."""
    category, star, _ = text.rpartition("*")
    return category + star + _other(PRODUCT_NAMES, text.rpartition("*")[2], rng)


def _tax_id(text: str, rng: random.Random) -> str:
    """Another valid USCC (one character of the 组织机构代码 changed, check characters recomputed)."""
    if not uscc.is_valid(text):
        return _digit(text, rng)
    index = rng.randrange(8, 16)
    same_kind = [c for c in uscc.ALPHABET if c.isdigit() == text[index].isdigit() and c != text[index]]
    org = _replace_at(text[8:16], index - 8, rng.choice(same_kind))
    first17 = text[:8] + org + uscc.calc_org_check_digit(org)
    return first17 + uscc.calc_check_digit(first17)


def _amount(text: str, rng: random.Random) -> str:
    """One digit of the integer part raised, as a forger inflates an amount: 157.50 → 457.50."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, cents = digits.partition(".")
    index = rng.randrange(len(whole))
    current = int(whole[index])
    if current == 9:
        new_whole = "1" + whole if index == 0 else _replace_at(whole, index, str(rng.randint(0, 8)))
    else:
        new_whole = _replace_at(whole, index, str(rng.randint(current + 1, 9)))
    new_whole = new_whole.lstrip("0") or "0"
    return f"{sign}{new_whole}.{cents}" if cents else f"{sign}{new_whole}"


def _quantity(text: str, rng: random.Random) -> str:
    quantity = Decimal(text)
    step = rng.randint(1, 9)
    changed = quantity + step if quantity >= 0 else quantity - step
    return f"{changed:f}"


__all__ = ["FIELDS_NEVER_CHANGED", "change", "tamper", "tamperable_fields"]
