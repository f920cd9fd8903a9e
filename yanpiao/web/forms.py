"""Forms of the web pages."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yanpiao.accounts import tokens
from yanpiao.fapiao import number
from yanpiao.fapiao.compare import KEY_AMOUNT_FIELDS, Query
from yanpiao.fapiao.findings import WARNING, Finding
from yanpiao.fapiao.types import NAMES, key_amount_field
from yanpiao.web import labels

_label = lazy(labels.field, str)
# What the national platform says to type in each secret field, and says again when it is missing.
SECRET_HINTS = {
    "amount": _("专票请输入不含税金额"),
    "check_code": _("普票请输入校验码后6位"),
    "total": _("数电票请输入价税合计"),
}


def _type_choices() -> list[tuple[str, str]]:
    return [("", _("自动识别")), *((code, labels.invoice_type(code)) for code in NAMES)]


def secret_field(type_code: str, code: str, number_: str) -> str:
    """Which of ``amount``, ``check_code`` and ``total`` the type asks for: the type as chosen or
    inferred from code and number as the core does (``Query.type_code``); a 20-digit number is a
    数电票 even when 31 and 32 cannot be told apart; "" when nothing tells the type."""
    query = Query.from_fields(type=type_code, code=code, number=number_)
    if query.type_code in NAMES:
        return key_amount_field(query.type_code)
    return "total" if number.is_digital(query.number) else ""


class VerifyForm(forms.Form):
    """The typed key fields, as the national platform asks for them: code, number, date, and the
    one secret field the invoice's type needs (all three while the type is not known yet)."""

    type = forms.ChoiceField(
        label=_label("type"),
        choices=_type_choices,
        required=False,
        help_text=_("不选则按发票代码和号码自动识别"),
    )
    code = forms.CharField(
        label=_label("code"), required=False, max_length=40, help_text=_("数电票没有发票代码，不填")
    )
    number = forms.CharField(
        label=_label("number"),
        max_length=40,
        help_text=_("8位数字，数电票为20位"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    issue_date = forms.CharField(
        label=_label("issue_date"), max_length=20, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = forms.CharField(
        label=_label("amount"),
        required=False,
        max_length=30,
        help_text=SECRET_HINTS["amount"],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    check_code = forms.CharField(
        label=_label("check_code"),
        required=False,
        max_length=40,
        help_text=SECRET_HINTS["check_code"],
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    total = forms.CharField(
        label=_label("total"),
        required=False,
        max_length=30,
        help_text=SECRET_HINTS["total"],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        self.secret = secret_field(*(str(source.get(name) or "") for name in ("type", "code", "number")))
        if self.secret:
            for name in KEY_AMOUNT_FIELDS:
                if name != self.secret:
                    del self.fields[name]

    def clean(self):
        data = super().clean()
        if self.secret and not data.get(self.secret):
            self.add_error(self.secret, SECRET_HINTS[self.secret])
        return data

    def query(self) -> Query:
        return Query.from_fields(**self.cleaned_data)

    def add_findings(self, findings: list[Finding]) -> None:
        """What the verification found wrong with the fields, each beside its field."""
        for found in findings:
            text = labels.finding(found.rule, found.field)
            if found.severity == WARNING:
                text = gettext("提示：%(finding)s") % {"finding": text}
            self.add_error(found.field if found.field in self.fields else None, text)


class TokenForm(forms.Form):
    """A token for an integration.  Not the ``account`` scope: a token that can mint tokens is
    only ever the app's log-in token, so a leaked integration token cannot make more."""

    name = forms.CharField(label=_("名称"), max_length=tokens.NAME_LENGTH, help_text=_("例如：报销小程序"))
    scopes = forms.MultipleChoiceField(
        label=_("权限"),
        choices=[
            (scope, label) for scope, label in labels.TOKEN_SCOPES.items() if scope != tokens.ACCOUNT_SCOPE
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    days = forms.IntegerField(
        label=_("有效天数"), min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )


class RevealForm(forms.Form):
    """One personal-data field of one record (``app.model:id``) to read in full, and why."""

    target = forms.RegexField(regex=r"^[a-z_]+\.[a-z_]+:\d+$", max_length=80)
    field = forms.CharField(max_length=30)
    reason = forms.CharField(label="理由 Reason", max_length=300)
