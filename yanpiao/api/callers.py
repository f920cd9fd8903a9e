"""Who is calling the API, and how often they may.

Three ways in, tried in this order:

1. ``Authorization: Bearer yp_…`` — an API token (:mod:`yanpiao.accounts.tokens`): the token's
   owner, limited to the token's scopes.  A header that is present but not a live token is a
   401, never a silent fall-back to anonymous.
2. The site's session cookie — the signed-in user, with every scope; a request that changes
   something must carry the CSRF token (``X-CSRFToken``), and staff must have passed
   two-factor authentication.
3. Nobody — allowed only on endpoints declared ``anonymous`` (verification, as on the national
   platform), with the tighter limits of :mod:`yanpiao.verification.throttling`.

Every call is counted per minute against its token, its account or its client address
(``YANPIAO_API_*_PER_MINUTE``); past the limit the answer is 429 with ``Retry-After``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from yanpiao.accounts import tokens, twofactor
from yanpiao.accounts.models import ApiToken
from yanpiao.api.errors import ApiError, too_many
from yanpiao.security import clients, throttle

MINUTE = datetime.timedelta(minutes=1)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Caller:
    """The identity of one API request (``request.auth``)."""

    user: object  # a User, or AnonymousUser
    token: ApiToken | None
    address: str | None

    @property
    def signed_in(self) -> bool:
        return bool(self.user.is_authenticated)

    def require(self, scope: str) -> None:
        """Raise 403 unless the caller may act under ``scope``: a token carrying it, or a session."""
        if self.token is not None:
            tokens.require_scope(self.token, scope)

    def require_signed_in(self) -> None:
        if not self.signed_in:
            raise ApiError(401)


class ApiAuth(HttpBearer):
    """Bearer token, else session, else (where ``anonymous``) nobody; see the module docstring."""

    def __init__(self, anonymous: bool = False):
        super().__init__()
        self.anonymous = anonymous

    def __call__(self, request) -> Caller:
        address = clients.address(request)
        header = request.headers.get("Authorization")
        if header:
            found = tokens.authenticate(header)
            if found is None:
                raise ApiError(
                    401,
                    "invalid_token",
                    "令牌无效、已过期或已撤销。The bearer token is not valid, expired or revoked.",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            caller = Caller(user=found[0], token=found[1], address=address)
        elif request.user.is_authenticated:
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                raise ApiError(403, "csrf_failed", "缺少或错误的 CSRF 令牌。CSRF token missing or wrong.")
            if request.user.needs_two_factor and not twofactor.is_verified(request.user):
                raise ApiError(
                    403,
                    "two_factor_required",
                    "请先完成双因素认证。Complete two-factor authentication first.",
                )
            caller = Caller(user=request.user, token=None, address=address)
        elif self.anonymous:
            caller = Caller(user=AnonymousUser(), token=None, address=address)
        else:
            raise ApiError(401, headers={"WWW-Authenticate": "Bearer"})
        count_request(caller)
        return caller

    def authenticate(self, request, token):  # HttpBearer's hook; __call__ does all of it
        raise NotImplementedError


def count_request(caller: Caller) -> None:
    """Count the call against its token, its account, or its address; 429 past the limit."""
    if caller.token is not None:
        limit, key = settings.YANPIAO_API_REQUESTS_PER_MINUTE, f"token:{caller.token.pk}"
    elif caller.signed_in:
        limit, key = settings.YANPIAO_API_REQUESTS_PER_MINUTE, f"account:{caller.user.pk}"
    else:
        limit = settings.YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE
        key = f"address:{throttle.address_key(caller.address)}"
    try:
        throttle.hit(throttle.Limit("api.request.minute", limit, MINUTE), key)
    except throttle.Exceeded as exceeded:
        raise too_many(exceeded.retry_after) from None


signed_in = ApiAuth()
anyone = ApiAuth(anonymous=True)
