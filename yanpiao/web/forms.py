"""Forms of the web pages."""

from django import forms

from yanpiao.accounts import tokens


class VerifyForm(forms.Form):
    """The typed key fields, as the national platform asks for them."""

    code = forms.CharField(label="发票代码", required=False, max_length=40, help_text="数电票 leave empty")
    number = forms.CharField(label="发票号码", max_length=40)
    issue_date = forms.CharField(label="开票日期", max_length=20, help_text="YYYY-MM-DD")
    amount = forms.CharField(label="金额（不含税）", required=False, max_length=30, help_text="专票")
    check_code = forms.CharField(label="校验码后6位", required=False, max_length=40, help_text="普票")
    total = forms.CharField(label="价税合计", required=False, max_length=30, help_text="数电票")


class TokenForm(forms.Form):
    name = forms.CharField(label="名称 Name", max_length=tokens.NAME_LENGTH, help_text="e.g. 报销小程序")
    scopes = forms.MultipleChoiceField(
        label="权限 Scopes", choices=list(tokens.SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(
        label="有效天数 Days", min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )


class RevealForm(forms.Form):
    """One personal-data field of one record (``app.model:id``) to read in full, and why."""

    target = forms.RegexField(regex=r"^[a-z_]+\.[a-z_]+:\d+$", max_length=80)
    field = forms.CharField(max_length=30)
    reason = forms.CharField(label="理由 Reason", max_length=300)
