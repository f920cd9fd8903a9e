"""大写金额: the 价税合计 written in capital numerals, in the form invoices print.

``cn2an.an2cn(x, "rmb")`` does the numerals; this adapter turns its output into the
invoice form: ``圆`` for ``元``, ``整`` after 角 when 分 is zero (cn2an already writes
``元整`` for whole amounts), and ``（负数）`` before the words of a red-letter amount.

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

import cn2an

NEGATIVE_PREFIX = "（负数）"
MAX_AMOUNT = Decimal("999999999999.99")
_CENT = Decimal("0.01")
_DIGIT = "[壹贰叁肆伍陆柒捌玖]"


def to_words(amount: Decimal) -> str:
    """The invoice form of ``amount`` (at most two decimal places, ``|amount| <= MAX_AMOUNT``)."""
    amount = Decimal(amount)
    if not amount.is_finite() or amount != amount.quantize(_CENT):
        raise ValueError(f"大写金额 needs an amount in cents, got {amount}")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"大写金额: amount {amount} is beyond {MAX_AMOUNT}")
    words = cn2an.an2cn(format(abs(amount).quantize(_CENT), "f"), "rmb").replace("元", "圆")
    if words.endswith("角"):
        words += "整"
    return NEGATIVE_PREFIX + words if amount < 0 else words


def fold_words(text: str) -> str:
    """A canonical form for comparing 大写金额: 元/圆, optional 整/正, optional 零, sign prefix.

    >>> fold_words("壹拾元柒角") == fold_words("壹拾圆柒角整")
    True
    >>> fold_words("(负数)伍角") == fold_words("（负数）零圆伍角整")
    True
    """
    text = "".join((text or "").replace("\x00", "").split()).lstrip("ⓧ⊗")
    text = unicodedata.normalize("NFKC", text).replace("元", "圆")
    text = re.sub(r"^\(负数\)", "负", text)
    text = text.removesuffix("整").removesuffix("正")
    text = re.sub(rf"^(负?)零圆零?(?={_DIGIT}[角分])", r"\1", text)
    text = re.sub(rf"圆零(?={_DIGIT}角)", "圆", text)
    return re.sub(rf"([万亿])零(?={_DIGIT}仟)", r"\1", text)


def words_match(printed: str, amount: Decimal) -> bool:
    """Whether printed 大写 words state ``amount`` (in any of the accepted forms)."""
    try:
        expected = to_words(amount)
    except ValueError:
        return False
    return fold_words(printed) == fold_words(expected)


__all__ = ["MAX_AMOUNT", "NEGATIVE_PREFIX", "fold_words", "to_words", "words_match"]
