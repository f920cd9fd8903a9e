"""Pages for API tokens, two-factor authentication, organisations, and one verification or invoice.

Thin adapters: every object comes through :mod:`yanpiao.accounts.access` (404 to whoever may
not see it) and every change through the services (:mod:`~yanpiao.accounts.tokens`,
:mod:`~yanpiao.accounts.twofactor`).  Auditors and admins see personal data masked, and
reveal a field by giving a reason (audited).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanpiao.accounts import access, organisations, tokens, twofactor
from yanpiao.fapiao.compare import REVEALING
from yanpiao.registry import services as registry
from yanpiao.verification.services import DESCRIPTIONS

PARTY_FIELDS = ("name", "tax_id", "address", "phone", "bank", "account")

# --- forms -----------------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(label="名称 Name", max_length=tokens.NAME_LENGTH, help_text="e.g. 报销小程序")
    scopes = forms.MultipleChoiceField(
        label="权限 Scopes", choices=list(tokens.SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(
        label="有效天数 Days", min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码 Code",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class RevealForm(forms.Form):
    target = forms.RegexField(regex=r"^(accounts\.user|accounts\.organisation|registry\.party):\d+$")
    field = forms.CharField(max_length=30)
    reason = forms.CharField(label="理由 Reason", max_length=300)


# --- API tokens ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens, and the form that creates one (whose secret is shown on this response only)."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = tokens.create_token(request.user, data["name"], data["scopes"], data["days"])
        except tokens.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "accounts/security/token_created.html", {"token": token, "secret": secret})
    rows = [(token, tokens.state(token)) for token in tokens.tokens_of(request.user)]
    return render(
        request,
        "accounts/security/tokens.html",
        {"form": form, "rows": rows},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = access.token_for(request.user, token_id, to_revoke=True)
    tokens.revoke(token, by=request.user)
    messages.success(request, f"令牌 {token} 已撤销 — token revoked")
    return redirect("account_security:tokens")


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
        return redirect(_with_next(reverse("account_security:two_factor_verify"), request))
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if twofactor.confirm(request, form.cleaned_data["code"]):
            messages.success(request, "两步验证已启用 — two-factor authentication is on")
            return redirect(twofactor.safe_next(request))
        form.add_error("code", "验证码不正确 — the code is not correct")
    device = twofactor.pending_device(request.user)
    uri = twofactor.provisioning_uri(device)
    # segno writes the SVG itself; the URI inside it is escaped as XML text.
    context = {"form": form, "uri": uri, "qr": mark_safe(twofactor.qr_svg(uri))}
    return render(
        request, "accounts/security/two_factor_setup.html", context, status=400 if form.errors else 200
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if twofactor.confirmed_device(request.user) is None:
        return redirect(_with_next(reverse("account_security:two_factor_setup"), request))
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["code"]):
            return redirect(twofactor.safe_next(request))
        form.add_error("code", "验证码不正确 — the code is not correct")
    return render(
        request,
        "accounts/security/two_factor_verify.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- organisations, verifications, invoices --------------------------------------------------


def _masked_user(viewer, user) -> str:
    if user is None:
        return "—"
    if user.pk == viewer.pk:
        return str(user)
    return access.masked(user, "display_name") or access.masked(user, "email") or access.masked(user, "phone")


@require_GET
@login_required
def organisation_detail(request, organisation_id: int):
    organisation = access.organisation_for(request.user, organisation_id)
    in_full = request.user.organisation_id == organisation.pk
    members = [
        {
            "label": _masked_user(request.user, member),
            "email": member.email if member.pk == request.user.pk else access.masked(member, "email"),
            "phone": member.phone if member.pk == request.user.pk else access.masked(member, "phone"),
            "role": member.get_role_display(),
            "target": f"accounts.user:{member.pk}",
        }
        for member in organisations.members_of(organisation)
    ]
    context = {
        "organisation": organisation,
        "name": organisation.name if in_full else access.masked(organisation, "name"),
        "tax_id": organisation.tax_id if in_full else access.masked(organisation, "tax_id"),
        "members": members,
        "can_reveal": access.has_staff_role(request.user),
        "target": f"accounts.organisation:{organisation.pk}",
    }
    return render(request, "accounts/security/organisation.html", context)


@require_GET
@login_required
def verification_detail(request, public_id):
    verification = access.verification_for(request.user, public_id)
    invoice = verification.invoice if verification.outcome in REVEALING else None
    context = {
        "verification": verification,
        "description": DESCRIPTIONS.get(verification.outcome, verification.outcome),
        "actor": _masked_user(request.user, verification.actor),
        "in_full": access.in_own_history(request.user, verification),
        "submitted": sorted(verification.submitted.items()),
        "invoice_code": (invoice.code or "-") if invoice else None,
        "invoice": invoice,
    }
    return render(request, "accounts/security/verification.html", context)


@require_GET
@login_required
def invoice_detail(request, code: str, number: str):
    """A registered invoice; ``-`` stands for the empty code of a 数电票."""
    invoice = access.invoice_for(request.user, "" if code == "-" else code, number)
    # Auditors and admins see it through their role alone: personal data masked until revealed.
    in_full = not access.has_staff_role(request.user)

    def party(row):
        return {
            "target": f"registry.party:{row.pk}",
            "fields": [
                (field, getattr(row, field) if in_full else access.masked(row, field))
                for field in PARTY_FIELDS
            ],
        }

    context = {
        "invoice": invoice,
        "seller": party(invoice.seller),
        "buyer": party(invoice.buyer),
        "items": invoice.items.all(),
        "status_history": registry.status_history(invoice.pk),
        "can_reveal": not in_full,
    }
    return render(request, "accounts/security/invoice.html", context)


@never_cache
@login_required
@require_POST
def reveal(request):
    """An auditor or admin reads one personal-data field in full, giving a reason (audited)."""
    if not access.has_staff_role(request.user):
        raise Http404("no such page")
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/security/revealed.html", {"form": form}, status=400)
    label, pk = form.cleaned_data["target"].split(":")
    try:
        obj = apps.get_model(label).objects.get(pk=int(pk))
    except ObjectDoesNotExist:
        raise Http404("no such record") from None
    try:
        value = access.reveal(request.user, obj, form.cleaned_data["field"], form.cleaned_data["reason"])
    except ValueError as exc:
        form.add_error(None, str(exc))
        return render(request, "accounts/security/revealed.html", {"form": form}, status=400)
    context = {"form": form, "value": value, "field": form.cleaned_data["field"], "target": label}
    return render(request, "accounts/security/revealed.html", context)
