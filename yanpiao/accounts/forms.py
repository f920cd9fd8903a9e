"""Forms of the account pages, on top of Django's authentication forms where they fit."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yanpiao.accounts import services
from yanpiao.accounts.models import User

LOGIN_LABEL = _("邮箱或手机号")


def login_field(**kwargs) -> forms.CharField:
    attrs = {"autocomplete": "username", "autofocus": True}
    return forms.CharField(label=LOGIN_LABEL, max_length=254, widget=forms.TextInput(attrs=attrs), **kwargs)


def phone_field() -> forms.CharField:
    return forms.CharField(
        label=_("手机号"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "tel"})
    )


def code_field() -> forms.CharField:
    return forms.RegexField(
        label=_("验证码"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("验证码是 6 位数字。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
    )


def password_fields():
    return SetPasswordMixin.create_password_fields(label1=_("密码"), label2=_("确认密码"))


class SignupForm(SetPasswordMixin, forms.Form):
    login = login_field(help_text=_("用邮箱注册的，我们发送确认链接；用手机号注册的，我们发送 6 位验证码。"))
    password1, password2 = password_fields()
    consent = forms.BooleanField(
        label=_("隐私声明"),
        required=True,
        error_messages={"required": _("注册需要同意隐私声明。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notice = reverse("accounts:privacy")
        self.fields["consent"].help_text = format_html(
            gettext('我已阅读并同意<a href="{}">隐私声明</a>。'), notice
        )

    def clean_login(self):
        self.kind, address = services.parse_login(self.cleaned_data["login"])
        return address

    def clean(self):
        self.validate_passwords()
        if "login" in self.cleaned_data:
            contact = User(**{self.kind: self.cleaned_data["login"]})
            self.validate_password_for_user(contact, "password1")
        return self.cleaned_data

    @property
    def by_phone(self) -> bool:
        return self.kind == "phone"


class LoginForm(AuthenticationForm):
    """Log-in with the e-mail address or the phone number; only once that address is confirmed."""

    error_messages = {
        "invalid_login": _("邮箱/手机号或密码不正确。"),
        "inactive": _("邮箱/手机号或密码不正确。"),
        "unconfirmed": _("请先确认此邮箱或手机号：我们刚刚重新发送了确认链接或验证码。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = LOGIN_LABEL
        username.max_length = 254
        username.widget.attrs["maxlength"] = 254

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not services.login_confirmed(user, self.cleaned_data["username"]):
            self.unconfirmed_user = user
            raise ValidationError(self.error_messages["unconfirmed"], code="unconfirmed")


class ConfirmPhoneForm(forms.Form):
    phone = phone_field()
    code = code_field()


class PasswordResetRequestForm(forms.Form):
    login = login_field(help_text=_("邮箱：我们发送重设链接；手机号：我们发送 6 位验证码。"))

    def clean_login(self):
        return services.parse_login(self.cleaned_data["login"])[1]


class SmsPasswordResetForm(SetPasswordMixin, forms.Form):
    phone = phone_field()
    code = code_field()
    password1, password2 = password_fields()

    def clean(self):
        self.validate_passwords()
        # The rules that need no account now; the rest once the code has proved the account.
        self.validate_password_for_user(None, "password1")
        return self.cleaned_data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("密码不正确。"), code="password_incorrect")
        return password


class CodeForm(forms.Form):
    """A code from the authenticator app (two-factor authentication)."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
