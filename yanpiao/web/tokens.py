"""The API tokens page: the user's tokens, creating one (its secret shown once), revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yanpiao.access import visibility
from yanpiao.accounts import tokens
from yanpiao.web.forms import TokenForm

# What a token's state (tokens.state) and its scopes (tokens.SCOPES) are called on the page.
STATES = {"active": _("有效"), "revoked": _("已撤销"), "expired": _("已过期")}
SCOPES = {
    "verify": _("查验发票"),
    "history:read": _("读取查验记录"),
    "batch": _("批量查验"),
    "account": _("管理令牌"),
    "issue": _("开票"),
}
assert SCOPES.keys() == tokens.SCOPES.keys()


def _scopes(token) -> list:
    return [SCOPES[scope] for scope in token.scopes]


def _row(token) -> dict:
    """A token as a row of the page: its state and scopes in words."""
    state = tokens.state(token)
    return {
        "token": token,
        "state": state,
        "state_label": STATES[state],
        "scopes": _scopes(token),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = tokens.create_token(request.user, data["name"], data["scopes"], data["days"])
        except tokens.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            context = {"token": token, "secret": secret, "scopes": _scopes(token)}
            return render(request, "web/token_created.html", context)
    rows = [_row(token) for token in tokens.tokens_of(request.user)]
    return render(
        request, "web/tokens.html", {"form": form, "rows": rows}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = visibility.token_for(request.user, token_id, to_revoke=True)
    tokens.revoke(token, by=request.user)
    messages.success(request, gettext("令牌 %(token)s 已撤销。") % {"token": token})
    return redirect("web:tokens")
