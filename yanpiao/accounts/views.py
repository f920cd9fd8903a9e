"""Account pages: thin adapters over :mod:`yanpiao.accounts.services`, Django's auth views and
:mod:`yanpiao.accounts.twofactor`.

The services get the client's address (:func:`yanpiao.security.clients.address`, as the log-in
lock-out resolves it) for their limits; over a limit a page answers 429 with ``Retry-After``
(:func:`too_many`).  The phone number a code was just sent to is kept in the session only
encrypted (:mod:`yanpiao.security.fields`), to fill in the code page's form: no personal data
in sessions.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yanpiao.accounts import forms, services, twofactor
from yanpiao.accounts.models import OneTimeCode, looks_like_email, normalize_phone
from yanpiao.security import clients, fields, throttle

# Session key: the number a code was just sent to, encrypted (bound to this key's name).
PENDING_PHONE = "accounts_pending_phone"
Purpose = OneTimeCode.Purpose


def _remember_phone(request, phone: str) -> None:
    request.session[PENDING_PHONE] = fields.encrypt(
        normalize_phone(phone), "django_session", PENDING_PHONE, 0
    )


def _pending_phone(request) -> str:
    try:
        return fields.decrypt(request.session.get(PENDING_PHONE, ""), "django_session", PENDING_PHONE, 0)
    except fields.DecryptionError:
        return ""


def too_many(request, exceeded: throttle.Exceeded):
    """The answer over a limit: 429, with when to try again."""
    minutes = max(1, round(exceeded.retry_after / 60))
    response = render(request, "accounts/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(exceeded.retry_after)
    return response


def throttled(view):
    """``view``, answering :func:`too_many` when a service refuses over a limit."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except throttle.Exceeded as exceeded:
            return too_many(request, exceeded)

    return wrapper


def _rendered(request, template, context, form=None):
    return render(request, template, context, status=400 if form is not None and form.errors else 200)


@require_http_methods(["GET", "POST"])
@throttled
def signup(request):
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login = form.cleaned_data["login"]
        try:
            services.register(
                login,
                form.cleaned_data["password1"],
                consent=form.cleaned_data["consent"],
                client=clients.address(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.by_phone:
                _remember_phone(request, login)
                messages.info(request, _("验证码已发送到您的手机，10 分钟内有效。"))
                return redirect("accounts:confirm_phone")
            return render(request, "accounts/signup_done.html", {"address": login})
    return _rendered(request, "accounts/signup.html", {"form": form}, form)


@require_http_methods(["GET", "POST"])
@throttled
def confirm_email(request, token):
    client = clients.address(request)
    if request.method == "POST":
        try:
            services.confirm_email(token, client=client)
        except services.CodeInvalid:
            return render(request, "accounts/link_invalid.html", status=400)
        messages.success(request, _("邮箱已确认，请登录。"))
        return redirect("accounts:login")
    # Following the link only shows a button: mail scanners that open links do not use it up.
    if services.link_user(token, Purpose.CONFIRM_EMAIL, client=client) is None:
        return render(request, "accounts/link_invalid.html", status=400)
    return render(request, "accounts/confirm_email.html")


@require_http_methods(["GET", "POST"])
@throttled
def confirm_phone(request):
    client = clients.address(request)
    initial = {"phone": _pending_phone(request)}
    if request.method == "POST" and "resend" in request.POST:
        services.resend_phone_confirmation(request.POST.get("phone", ""), client=client)
        messages.info(request, _("如果该号码待确认，新的验证码已发送。"))
        return redirect("accounts:confirm_phone")
    form = forms.ConfirmPhoneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_phone(form.cleaned_data["phone"], form.cleaned_data["code"], client=client)
        except services.CodeInvalid as error:
            form.add_error("code", str(error))
        else:
            request.session.pop(PENDING_PHONE, None)
            messages.success(request, _("手机号已确认，请登录。"))
            return redirect("accounts:login")
    return _rendered(request, "accounts/confirm_phone.html", {"form": form}, form)


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "accounts/login.html"

    def form_invalid(self, form):
        user = getattr(form, "unconfirmed_user", None)
        if user is not None:
            login = form.cleaned_data["username"]
            services.send_confirmation(user, login)
            if not looks_like_email(login):
                _remember_phone(self.request, login)
                messages.info(self.request, form.error_messages["unconfirmed"])
                return redirect("accounts:confirm_phone")
        return super().form_invalid(form)

    def form_valid(self, form):
        services.forget_failed_logins(form.get_user(), clients.address(self.request))
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        return super().get_context_data(expired="expired" in self.request.GET, **kwargs)


def locked_out(request, original_response=None, credentials=None):
    """django-axes's answer once a login or an address is locked (``AXES_LOCKOUT_CALLABLE``).

    The same page and status whether the account exists or not.
    """
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    context = {"form": forms.LoginForm(request), "locked_out": True, "minutes": minutes}
    return render(request, "accounts/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's: asks for the current password; keeps this session, ends the others."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:me")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(self.request.user)
        messages.success(self.request, _("密码已更改；其他设备上的登录已退出。"))
        return response


@require_http_methods(["GET", "POST"])
@throttled
def password_reset(request):
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login = form.cleaned_data["login"]
        services.request_password_reset(login, client=clients.address(request))
        if not looks_like_email(login):
            _remember_phone(request, login)
            messages.info(request, _("如果该手机号已注册，验证码已发送，10 分钟内有效。"))
            return redirect("accounts:password_reset_sms")
        return render(request, "accounts/password_reset_sent.html")
    return _rendered(request, "accounts/password_reset.html", {"form": form}, form)


@require_http_methods(["GET", "POST"])
@throttled
def password_reset_link(request, token):
    client = clients.address(request)
    user = services.link_user(token, Purpose.RESET_PASSWORD, client=client)
    if user is None:
        return render(request, "accounts/link_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password_with_link(token, form.cleaned_data["new_password1"], client=client)
        except services.CodeInvalid:
            return render(request, "accounts/link_invalid.html", status=400)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            messages.success(request, _("密码已重设，请用新密码登录。"))
            return redirect("accounts:login")
    return _rendered(request, "accounts/password_reset_link.html", {"form": form}, form)


@require_http_methods(["GET", "POST"])
@throttled
def password_reset_sms(request):
    initial = {"phone": _pending_phone(request)}
    form = forms.SmsPasswordResetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = clients.address(request)
        try:
            services.reset_password_with_code(data["phone"], data["code"], data["password1"], client=client)
        except services.CodeInvalid as error:
            form.add_error("code", str(error))
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            request.session.pop(PENDING_PHONE, None)
            messages.success(request, _("密码已重设，请用新密码登录。"))
            return redirect("accounts:login")
    return _rendered(request, "accounts/password_reset_sms.html", {"form": form}, form)


@login_required
@require_GET
def me(request):
    return render(request, "accounts/me.html", {"delete_form": forms.DeleteAccountForm(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = forms.DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user)
        messages.success(request, _("账户已删除。"))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return _rendered(request, "accounts/delete.html", {"form": form}, form)


@require_GET
def privacy(request):
    return render(request, "accounts/privacy.html", {"version": services.PRIVACY_NOTICE_VERSION})


# --- two-factor authentication ----------------------------------------------------------------


def _with_next(url: str, request) -> str:
    target = request.GET.get("next")
    return f"{url}?{urlencode({'next': target})}" if target else url


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Scan the QR code, then confirm with a code; a user with a confirmed device verifies instead."""
    if not request.user.needs_two_factor:
        return redirect("/")
    if twofactor.confirmed_device(request.user) is not None:
        # Replacing a device is not offered here: that would let a stolen password add one.
        if twofactor.is_verified(request.user):
            return redirect(twofactor.safe_next(request))
        return redirect(_with_next(reverse(twofactor.VERIFY_URL), request))
    form = forms.CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm(request, form.cleaned_data["code"]):
            messages.success(request, _("两步验证已启用。"))
            return redirect(twofactor.safe_next(request))
        form.add_error("code", _("验证码不正确。"))
    device = twofactor.pending_device(request.user)
    uri = twofactor.provisioning_uri(device)
    # segno writes the SVG itself; the URI inside it is escaped as XML text.
    context = {"form": form, "uri": uri, "qr": mark_safe(twofactor.qr_svg(uri))}  # nosec B308, B703  # segno writes the SVG of the TOTP URI and escapes the URI as XML text
    return _rendered(request, "accounts/two_factor_setup.html", context, form)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if twofactor.confirmed_device(request.user) is None:
        return redirect(_with_next(reverse(twofactor.SETUP_URL), request))
    form = forms.CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["code"]):
            return redirect(twofactor.safe_next(request))
        form.add_error("code", _("验证码不正确。"))
    return _rendered(request, "accounts/two_factor_verify.html", {"form": form}, form)
