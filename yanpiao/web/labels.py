"""What a page shows for a code: the one place that turns internal names and values (``issue_date``,
``normal``, ``0.06``, ``31``, ``not_found``) into words, in the visitor's language.

Pages never print a code as it is: they ask here (templates through the ``labels`` filters).
Facts declared elsewhere are used as they are declared: a field's label is its
:class:`~yanpiao.fapiao.invoice.FieldSpec` (``label`` as printed in Chinese, ``meaning`` in
English), an invoice type's name is :data:`~yanpiao.fapiao.types.NAMES` or
:data:`~yanpiao.fapiao.types.ENGLISH_NAMES`.  The rest are messages of the site, written in
Chinese and translated in ``locale/en``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yanpiao.fapiao import compare, types
from yanpiao.fapiao.invoice import Invoice, Item, Party, specs

OUTCOMES = {
    compare.AUTHENTIC: _("查验一致"),
    compare.TAMPERED: _("内容不一致"),
    compare.MISMATCH: _("信息不一致"),
    compare.NOT_FOUND: _("查无此票"),
    compare.VOIDED: _("已作废"),
    compare.RED_FLUSHED: _("已红冲"),
    compare.ABNORMAL: _("异常发票"),
    compare.INVALID: _("输入有误"),
}
# What the outcome means for the person holding the invoice, in plain words.
OUTCOME_EXPLANATIONS = {
    compare.AUTHENTIC: _("这张发票已登记且有效，您提交的信息与登记的一致。"),
    compare.TAMPERED: _("发票代码和号码对得上，但发票的其他内容与登记的不一致：发票可能被改动过。"),
    compare.MISMATCH: _("有这张发票，但您提交的某项信息与登记的不一致。请核对后再查。"),
    compare.NOT_FOUND: _("没有登记过这个代码和号码的发票。请核对代码和号码。"),
    compare.VOIDED: _("这张发票已被开票方作废，不能作为有效凭证。"),
    compare.RED_FLUSHED: _("这张发票已被红字发票冲销。"),
    compare.ABNORMAL: _("税务机关已将这张发票标记为异常，请谨慎处理。"),
    compare.INVALID: _("提交的信息格式不正确，请按提示修改。"),
}
# The colour family of an outcome's banner: good, bad, or a warning.
TONES = {
    compare.AUTHENTIC: "good",
    compare.MISMATCH: "bad",
    compare.NOT_FOUND: "bad",
    compare.INVALID: "bad",
    compare.TAMPERED: "bad",
    compare.VOIDED: "warning",
    compare.RED_FLUSHED: "warning",
    compare.ABNORMAL: "warning",
}
STATUSES = {
    "normal": _("正常"),
    "voided": _("已作废"),
    "red_flushed": _("已红冲"),
    "partially_red_flushed": _("部分红冲"),
    "abnormal": _("异常"),
}
CHANNELS = {
    "web": _("网页"),
    "api": _("接口"),
    "cli": _("命令行"),
    "qr": _("二维码"),
    "upload": _("上传文件"),
    "batch": _("批量"),
}
SEVERITIES = {"error": _("错误"), "warning": _("提示")}
RATES = {"exempt": _("免税"), "not_taxable": _("不征税")}  # invoice.SPECIAL_RATES
# The typed fields of a check, where they differ from the invoice's own (the national platform's words).
QUERY_FIELDS = {
    "check_code": (_("校验码后6位"), "Last 6 digits of the check code"),
    "amount": (_("金额（不含税）"), "Amount excl. tax"),
    "type": (_("发票类型"), "Invoice type"),
}


def english() -> bool:
    return (get_language() or "").startswith("en")


def _field_specs() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for cls, prefix in ((Item, "item."), (Party, ""), (Invoice, "")):
        for spec in specs(cls):
            found[prefix + spec.name] = (spec.label, spec.meaning)
    return found


_FIELDS = _field_specs()


def field(name: str) -> str:
    """A field's label: ``issue_date`` → 开票日期 / Issue date; ``seller.tax_id`` → 销售方纳税人识别号."""
    if name in QUERY_FIELDS:
        chinese, meaning = QUERY_FIELDS[name]
        return meaning if english() else str(chinese)
    party, _dot, rest = name.partition(".")
    if rest and party in ("seller", "buyer") and rest in _FIELDS:
        label, meaning = _FIELDS[party]
        inner_label, inner_meaning = _FIELDS[rest]
        return f"{meaning.capitalize()} {inner_meaning}" if english() else f"{label}{inner_label}"
    label, meaning = _FIELDS.get(name, (name, name))
    return meaning[:1].upper() + meaning[1:] if english() else label


def invoice_type(code: str) -> str:
    names = types.ENGLISH_NAMES if english() else types.NAMES
    return names.get(code, "—" if not code else str(_("未知票种")))


def outcome(value: str) -> str:
    return str(OUTCOMES.get(value, value))


def outcome_explanation(value: str) -> str:
    return str(OUTCOME_EXPLANATIONS.get(value, ""))


def tone(value: str) -> str:
    return TONES.get(value, "bad")


def status(value: str) -> str:
    return str(STATUSES.get(value, value))


def channel(value: str) -> str:
    return str(CHANNELS.get(value, value))


def severity(value: str) -> str:
    return str(SEVERITIES.get(value, value))


def tax_rate(value) -> str:
    """``0.06`` → ``6%``; 免税 and 不征税 in words."""
    text = str(value)
    if text in RATES:
        return str(RATES[text])
    try:
        percent = Decimal(text) * 100
    except InvalidOperation:
        return text
    return f"{percent.normalize():f}%"
