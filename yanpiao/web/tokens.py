"""The API tokens page: the user's tokens, creating one (its secret shown once), revoking one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from yanpiao.access import visibility
from yanpiao.accounts import tokens
from yanpiao.web import labels
from yanpiao.web.forms import TokenForm


def _scopes(token) -> list:
    return [labels.TOKEN_SCOPES[scope] for scope in token.scopes]


def _row(token) -> dict:
    """A token as a row of the page: its state and scopes in words."""
    state = tokens.state(token)
    return {
        "token": token,
        "state": state,
        "state_label": labels.TOKEN_STATES[state],
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
