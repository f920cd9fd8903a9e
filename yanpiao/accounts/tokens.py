"""API tokens for apps and mini programs: created by the user, shown once, stored hashed.

A token's secret (``yp_`` and 43 URL-safe characters, 256 random bits) is returned once by
:func:`create_token` and never stored: the database keeps its sha256 (``digest``) and its
first 8 characters (``prefix``, to recognise it in a list).  A client sends it as
``Authorization: Bearer <secret>``; :func:`authenticate` finds the token by the digest of
what was sent, so no secret is ever compared character by character.  A token carries scopes
from :data:`SCOPES`, expires after at most a year, and can be revoked at any time.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from yanpiao.accounts.models import ApiToken

SCOPES = {
    "verify": "查验发票 verify invoices",
    "history:read": "读取查验记录 read the verification history",
    "batch": "批量查验 submit batches",
}
SECRET_PREFIX = "yp_"
PREFIX_LENGTH = 8
DEFAULT_DAYS = 90
MAX_DAYS = 365
NAME_LENGTH = ApiToken._meta.get_field("name").max_length
# last_used_at is written at most this often, so a busy client does not cost a write per call.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be created as asked; the message says why."""


class MissingScope(PermissionDenied):
    """The token does not carry the scope the call needs."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name: str, scopes: Iterable[str], days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is not kept and cannot be shown again."""
    name = (name or "").strip()
    if not name or len(name) > NAME_LENGTH:
        raise TokenError(f"a token needs a name of 1 to {NAME_LENGTH} characters")
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise TokenError(
            f"choose scopes among {', '.join(SCOPES)}" + (f"; unknown: {unknown}" if unknown else "")
        )
    if not 1 <= int(days) <= MAX_DAYS:
        raise TokenError(f"a token expires after 1 to {MAX_DAYS} days")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        digest=digest(secret),
        scopes=scopes,
        created_at=now,
        expires_at=now + datetime.timedelta(days=int(days)),
    )
    from yanpiao.security import audit

    audit.record(
        audit.Action.API_TOKEN_CREATE, actor=user, target=audit.target(token), detail={"scopes": scopes}
    )
    return token, secret


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def state(token: ApiToken, now: datetime.datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"


def revoke(token: ApiToken, by=None) -> ApiToken:
    """Revoke the token (by its owner, or by an admin); revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        from yanpiao.security import audit

        audit.record(
            audit.Action.API_TOKEN_REVOKE,
            actor=by,
            target=audit.target(token),
            detail={"owner": token.user_id},
        )
    return token


def authenticate(header_value: str | None) -> tuple[object, ApiToken] | None:
    """``(user, token)`` for a valid ``Bearer`` secret, else None (wrong, revoked, expired, inactive)."""
    scheme, _, secret = (header_value or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(SECRET_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest(secret)).first()
    now = timezone.now()
    if token is None or state(token, now) != "active" or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


def require_scope(token: ApiToken, scope: str) -> None:
    """Raise :class:`MissingScope` unless the token carries ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if scope not in token.scopes:
        raise MissingScope(f"this token does not carry the scope {scope!r}")
