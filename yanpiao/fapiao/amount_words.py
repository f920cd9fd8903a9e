"""大写金额: the 价税合计 written in capital numerals, in the form invoices print.

The words are those of ``cn2an.an2cn(x, "rmb")`` (the tests hold the two equal, except that
cn2an drops the 零 after a 亿 whose 万 group is all zeros: 壹亿零贰仟, not 壹亿贰仟) in the
invoice form: ``圆`` for ``元``, ``整`` after 角 when 分 is zero (and after 圆 for whole
amounts), and ``（负数）`` before the words of a red-letter amount.  They are written here
rather than by cn2an because every imported invoice is checked against them, and cn2an's
text preprocessing costs several times the numerals themselves.

Decisions where real invoices were not seen (UNCONFIRMED):

* ``0.50`` is written ``伍角整`` and ``0.05`` ``伍分`` (no ``零圆``), as cn2an does.
* ``1680.32`` is written ``壹仟陆佰捌拾圆叁角贰分``, without a ``零`` after 圆.

The payment rules (支付结算办法) allow a ``零`` to be written or left out where the 圆 or
万 digit is zero and the next is not, and ``正`` for ``整``; :func:`fold_words` folds these
choices, so :func:`words_match` accepts either form.

>>> to_words(Decimal("10.70"))
'壹拾圆柒角整'
>>> to_words(Decimal("370.08")), to_words(Decimal("-692"))
('叁佰柒拾圆零捌分', '（负数）陆佰玖拾贰圆整')
>>> words_match("壹拾元柒角", Decimal("10.70")), words_match("壹拾圆柒角整", Decimal("10.71"))
(True, False)
>>> fold_words("壹仟陆佰捌拾圆零叁角贰分") == fold_words("壹仟陆佰捌拾元叁角贰分")
True
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

NEGATIVE_PREFIX = "（负数）"
MAX_AMOUNT = Decimal("999999999999.99")
_CENT = Decimal("0.01")
_DIGIT = "[壹贰叁肆伍陆柒捌玖]"
_NUMERALS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")  # within a group of four digits, highest first
_GROUPS = ("亿", "万", "")  # groups of four digits, highest first


def to_words(amount: Decimal) -> str:
    """The invoice form of ``amount`` (at most two decimal places, ``|amount| <= MAX_AMOUNT``)."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount != amount.quantize(_CENT):
        raise ValueError(f"大写金额 needs an amount in cents, got {amount}")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"大写金额: amount {amount} is beyond {MAX_AMOUNT}")
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    words = _integer_words(yuan)
    if words:
        words += "圆"
    if jiao:
        words += _NUMERALS[jiao] + "角"
    elif fen and words:
        words += "零"
    if fen:
        words += _NUMERALS[fen] + "分"
    elif not jiao:
        words = (words or "零圆") + "整"
    else:
        words += "整"
    return NEGATIVE_PREFIX + words if amount < 0 else words


def _integer_words(number: int) -> str:
    """壹仟零伍万零贰拾 for 10050020: one 零 for a run of zeros before a digit, none for the
    zeros that end a group of four (伍拾万壹仟 for 501000)."""
    digits = f"{number:012d}"
    words, zeros = "", False
    for group_index, group_name in enumerate(_GROUPS):
        group = digits[group_index * 4 : group_index * 4 + 4]
        if group == "0000":
            zeros = zeros or bool(words)
            continue
        for digit, place in zip(group, _PLACES, strict=True):
            if digit == "0":
                zeros = zeros or bool(words)
                continue
            if zeros:
                words += "零"
                zeros = False
            words += _NUMERALS[int(digit)] + place
        words += group_name
        zeros = False
    return words


def fold_words(text: str) -> str:
    """A canonical form for comparing 大写金额: 元/圆, optional 整/正, optional 零, sign prefix.

    >>> fold_words("壹拾元柒角") == fold_words("壹拾圆柒角整")
    True
    >>> fold_words("壹拾圆壹分") == fold_words("壹拾元零壹分")  # the ETC platform prints no 零 before 分
    True
    >>> fold_words("(负数)伍角") == fold_words("（负数）零圆伍角整")
    True
    """
    text = "".join((text or "").replace("\x00", "").split()).lstrip("ⓧ⊗")
    text = unicodedata.normalize("NFKC", text).replace("元", "圆")
    text = re.sub(r"^\(负数\)", "负", text)
    text = text.removesuffix("整").removesuffix("正")
    text = re.sub(rf"^(负?)零圆零?(?={_DIGIT}[角分])", r"\1", text)
    text = re.sub(rf"圆零(?={_DIGIT}[角分])", "圆", text)
    return re.sub(rf"([万亿])零(?={_DIGIT}仟)", r"\1", text)


def words_match(printed: str, amount: Decimal) -> bool:
    """Whether printed 大写 words state ``amount`` (in any of the accepted forms)."""
    try:
        expected = to_words(amount)
    except ValueError:
        return False
    return printed == expected or fold_words(printed) == fold_words(expected)


__all__ = ["MAX_AMOUNT", "NEGATIVE_PREFIX", "fold_words", "to_words", "words_match"]
