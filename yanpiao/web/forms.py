"""Forms of the web pages."""

from django import forms


class VerifyForm(forms.Form):
    """The typed key fields, as the national platform asks for them."""

    code = forms.CharField(label="发票代码", required=False, max_length=40, help_text="数电票 leave empty")
    number = forms.CharField(label="发票号码", max_length=40)
    issue_date = forms.CharField(label="开票日期", max_length=20, help_text="YYYY-MM-DD")
    amount = forms.CharField(label="金额（不含税）", required=False, max_length=30, help_text="专票")
    check_code = forms.CharField(label="校验码后6位", required=False, max_length=40, help_text="普票")
    total = forms.CharField(label="价税合计", required=False, max_length=30, help_text="数电票")
