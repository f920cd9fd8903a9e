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

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from yanpiao.fapiao import compare, types
from yanpiao.fapiao.invoice import STATUSES as STATUS_CODES
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
ROLES = {"taxpayer": _("纳税人"), "issuer": _("开票方"), "auditor": _("审计员"), "admin": _("管理员")}
# API tokens: their scopes (accounts.tokens.SCOPES) and states (accounts.tokens.state).
TOKEN_SCOPES = {
    "verify": _("查验发票"),
    "history:read": _("读取查验记录"),
    "batch": _("批量查验"),
    "account": _("管理令牌"),
    "issue": _("开票"),
    "alerts": _("处理风险预警"),
}
TOKEN_STATES = {"active": _("有效"), "revoked": _("已撤销"), "expired": _("已过期")}
SEVERITIES = {"error": _("错误"), "warning": _("提示")}
RATES = {"exempt": _("免税"), "not_taxable": _("不征税")}  # invoice.SPECIAL_RATES
# The typed fields of a check, where they differ from the invoice's own (the national platform's
# words), and what else a finding may concern (the document, its QR code).
QUERY_FIELDS = {
    "check_code": (_("校验码后6位"), "Last 6 digits of the check code"),
    "amount": (_("金额（不含税）"), "Amount excl. tax"),
    "type": (_("发票类型"), "Invoice type"),
    "document": (_("文件"), "Document"),
    "qr": (_("二维码"), "QR code"),
}
# A QR payload's signature (yanpiao.security.qr_signature.STATUSES).
SIGNATURES = {"valid": _("二维码签名有效"), "invalid": _("二维码签名无效"), "absent": _("二维码未签名")}
# The zones the site may run in, by name (settings.TIME_ZONE).
ZONES = {"Asia/Shanghai": _("北京时间")}
# What each finding rule the core emits means, in plain words (yanpiao.fapiao.validation and
# arithmetic, yanpiao.intake, yanpiao.verification.services); the field it concerns is shown beside.
FINDINGS = {
    # the key fields a verifier typed or a document gave
    "number.required": _("请填写发票号码。"),
    "number.length": _("发票号码应为8位数字，数电票为20位。"),
    "number.format": _("发票号码只能由数字组成。"),
    "code.required": _("请填写发票代码；只有数电票（20位发票号码）没有发票代码。"),
    "code.unexpected": _("数电票没有发票代码，请留空。"),
    "code.length": _("发票代码应为10位或12位数字。"),
    "code.format": _("发票代码只能由数字组成。"),
    "code.scheme": _("发票代码不符合已知的编码规则，请核对。"),
    "code.kind_mismatch": _("发票代码表示的票种与发票类型不一致。"),
    "issue_date.required": _("请填写开票日期。"),
    "issue_date.format": _("开票日期的格式应为“年-月-日”。"),
    "issue_date.no_such_day": _("没有这一天，请核对开票日期。"),
    "issue_date.future": _("开票日期晚于今天。"),
    "issue_date.too_old": _("开票日期已超出可查验的年限。"),
    "type.unknown": _("不是已知的发票类型。"),
    "type.inconsistent": _("发票类型与发票代码、号码不符。"),
    "type.code_mismatch": _("发票代码表示的票种与所选的发票类型不一致。"),
    "amount.format": _("金额应为数字，最多两位小数。"),
    "amount.zero": _("金额不能为零。"),
    "amount.negative": _("金额为负数，但这不是红字发票。"),
    "total.format": _("价税合计应为数字，最多两位小数。"),
    "total.zero": _("价税合计不能为零。"),
    "total.negative": _("价税合计为负数，但这不是红字发票。"),
    "check_code.length": _("请输入校验码的后6位或全部20位。"),
    "check_code.format": _("校验码只能由数字组成。"),
    "check_code.not_printed": _("这类发票没有校验码：专票请输入不含税金额，数电票请输入价税合计。"),
    "check_code.required": _("这类发票印有20位校验码，必须填写。"),
    "check_code.unexpected": _("这类发票没有校验码。"),
    "key.missing": _("请输入金额、校验码后6位或价税合计中的一项。"),
    # a whole invoice (as registered, or read from a document)
    "seller.name.required": _("缺少销售方名称。"),
    "tax_id.required": _("缺少销售方纳税人识别号。"),
    "tax_id.length": _("纳税人识别号的位数不对。"),
    "tax_id.format": _("纳税人识别号含有不允许的字符。"),
    "tax_id.checksum": _("纳税人识别号的校验位不对。"),
    "tax_id.component": _("纳税人识别号的登记机关或类别无效。"),
    "status.unknown": _("发票状态未知。"),
    "arithmetic.exempt_tax": _("免税或不征税的项目不应有税额。"),
    "arithmetic.line_tax": _("这一行的税额与金额乘以税率不符。"),
    "arithmetic.cumulative_tax": _("各行税额与金额乘以税率的累计差额过大。"),
    "arithmetic.amount_sum": _("合计金额不等于各行金额之和。"),
    "arithmetic.tax_sum": _("合计税额不等于各行税额之和。"),
    "arithmetic.total": _("价税合计不等于金额加税额。"),
    "amount_words.mismatch": _("价税合计的大写与小写金额不一致。"),
    "red_letter.sign": _("红字发票的金额应为负数。"),
    "red_letter.original": _("被红冲的原发票号码不正确。"),
    "red_letter.remark": _("红字数电票的备注通常注明被红冲的原发票号码。"),
    # the document and its QR code
    "document.test_environment": _("这张发票是在税务测试环境中开具的，不是真实的发票。"),
    "document.specimen": _("文件标有样票或测试字样，不是开具的发票。"),
    "document.railway_e_ticket": _("这是铁路电子客票，按数电普票查验：发票号码、开票日期和票价。"),
    "document.key_unreadable": _("未能读出发票的代码、号码、日期和金额。"),
    "verification.invoice": _("这张发票今天的查验次数已达上限，未予查验。"),
    "qr.crc": _("二维码的校验值与其内容不符：可能被改动或输错，以登记的信息为准。"),
    "qr.blockchain": _("区块链发票：其二维码的签名在此不作检查。"),
    "qr.format": _("二维码无法识读。"),
    "qr.image_too_large": _("图片过大，其中的二维码未识读。"),
    "qr.signature": _("二维码的签名与其内容不符：二维码被改动过或是伪造的。"),
    "consistency.qr_text": _("二维码中的信息与发票上印的不一致。"),
    "consistency.xml_number": _("电子发票文件中两处的发票号码不一致。"),
    "consistency.ofd_data": _("电子发票文件中两处的内容不一致。"),
    "xml.unreadable": _("电子发票文件中的这一项无法读取。"),
    "ofd.part_unreadable": _("电子发票文件的一部分无法读取，已跳过。"),
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
_LINE = re.compile(r"items\[(\d+)\]\.(\w+)")


def field(name: str) -> str:
    """A field's label: ``issue_date`` → 开票日期 / Issue date; ``seller.tax_id`` → 销售方纳税人识别号;
    ``items[0].amount`` → 第1行金额 / Line 1 amount."""
    if name in QUERY_FIELDS:
        chinese, meaning = QUERY_FIELDS[name]
        return meaning if english() else str(chinese)
    line = _LINE.fullmatch(name)
    if line:
        number = int(line[1]) + 1
        label, meaning = _FIELDS.get(f"item.{line[2]}", (line[2], line[2]))
        return f"Line {number} {meaning}" if english() else f"第{number}行{label}"
    outer, _dot, inner = name.partition(".")
    if inner and outer in _FIELDS and inner in _FIELDS:
        label, meaning = _FIELDS[outer]
        inner_label, inner_meaning = _FIELDS[inner]
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


def role(value: str) -> str:
    """An account's role in words (``accounts.models.Role`` keeps the codes)."""
    return str(ROLES.get(value, "—"))


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


def finding(rule: str, field_name: str = "") -> str:
    """What a finding means in words (``{{ f.rule|finding:f.field }}``); a rule without an
    explanation is named by the field it concerns."""
    if rule in FINDINGS:
        return str(FINDINGS[rule])
    return gettext("%(field)s有误。") % {"field": field(field_name or rule.partition(".")[0])}


def field_value(value, name: str) -> str:
    """A value of the field ``name`` as shown (``{{ d.registered|field_value:d.field }}``): a tax
    rate as a percentage, a type or status by its name, nothing as a dash."""
    if value is None or value == "":
        return "—"
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "tax_rate":
        return tax_rate(value)
    if leaf == "type" and value in types.NAMES:
        return invoice_type(value)
    if leaf == "status" and value in STATUS_CODES:
        return status(value)
    return str(value)


def signature(value: str) -> str:
    return str(SIGNATURES.get(value, value))


def moment(value) -> str:
    """A point in time in the site's zone, the zone named: ``2026-06-30 14:05 (北京时间)``.
    Takes a datetime or its ISO 8601 text (as status histories carry it)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    zone = timezone.get_current_timezone_name()
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M} ({ZONES.get(zone, zone)})"


# --- risk and alerts (yanpiao.risk, yanpiao.alerts) -----------------------------------------------
# A check's risk level and an alert's severity share the codes low/medium/high: shown by the
# ``severity`` filter, in the words of alerts.models.Severity.
from yanpiao.alerts.models import Alert, Severity  # noqa: E402
from yanpiao.risk import codes as risk_codes  # noqa: E402

SEVERITIES.update(Severity.choices)
# What each risk reason means for the holder of the invoice, in plain words (shown by the
# ``finding`` filter: a reason is a finding of the risk assessment); never who else is involved.
RISK_REASONS = {
    risk_codes.DUPLICATE_REIMBURSEMENT: _("这张发票已由其他单位提交过查验，可能被重复报销。"),
    risk_codes.INVALID_STATUS_PRESENTED: _("提交的是已作废、已红冲或异常的发票。"),
    risk_codes.FORGERY_PROBING: _("同一张发票短时间内多次查验不一致，疑似在试探伪造。"),
    risk_codes.ENUMERATION: _("同一账号或地址多次查无此票，疑似批量枚举发票号码。"),
    risk_codes.AMOUNT_OUTLIER: _("金额远超出该销售方以往开票的范围。"),
    risk_codes.ISSUANCE_BURST: _("该销售方近期的开票量远高于平常。"),
    risk_codes.NEAR_LIMIT_AMOUNTS: _("该销售方的发票金额多集中在开票限额之下。"),
    risk_codes.SELLER_ABNORMAL: _("该销售方有发票被标记为异常。"),
    risk_codes.FORGED_CERTIFICATE: _("这张发票的查验证明曾被伪造。"),
    risk_codes.REPORTED_BY_USER: _("这张发票曾被用户举报为可疑。"),
    risk_codes.MODEL: _("风险模型认为这张发票与同类发票差异较大。"),
}
FINDINGS.update(RISK_REASONS)
ALERT_KINDS = dict(Alert.Kind.choices)


def alert_kind(value: str) -> str:
    return str(ALERT_KINDS.get(value, value))
