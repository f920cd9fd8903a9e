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
import json
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
    "account": "管理令牌 manage the account's API tokens",
    "issue": "开具发票 register and void invoices",
    "alerts": "处理风险预警 read and work on risk alerts (auditors and admins)",
}
# The scope of token management (``/api/v1/tokens``): a session has it, a log-in token carries it.
ACCOUNT_SCOPE = "account"
# What an app's log-in token carries (an issuer's also ``issue``), and for how long.
LOGIN_SCOPES = ("verify", "history:read", "batch", ACCOUNT_SCOPE)
LOGIN_DAYS = 30
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


def create_login_token(user, device: str | None = None) -> tuple[ApiToken, str]:
    """The token an app's log-in answers: everything an app acts on for the user, and
    :data:`ACCOUNT_SCOPE`; named after the day and the device the app gave."""
    name = f"app login {timezone.localdate().isoformat()}"
    if (device or "").strip():
        name = f"{name} ({' '.join(device.split())})"
    scopes = [*LOGIN_SCOPES, *(["issue"] if user.is_issuer else [])]
    return create_token(user, name[:NAME_LENGTH], scopes, LOGIN_DAYS)


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


# Read with each bearer call (one statement, below the ORM: the API's hot path): the token, and
# what decides its owner's powers.  The owner's other fields load when first read.
_TOKEN_COLUMNS = ("id", "user_id", "scopes", "expires_at", "revoked_at", "last_used_at")
_USER_COLUMNS = ("id", "role", "organisation_id", "is_active", "is_staff", "is_superuser")


def authenticate(header_value: str | None) -> tuple[object, ApiToken] | None:
    """``(user, token)`` for a valid ``Bearer`` secret, else None (wrong, revoked, expired, inactive)."""
    scheme, _, secret = (header_value or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(SECRET_PREFIX):
        return None
    found = _token_and_owner(digest(secret))
    if found is None:
        return None
    user, token = found
    now = timezone.now()
    if state(token, now) != "active" or not user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return user, token


def _token_and_owner(token_digest: str):
    from yanpiao import dbapi
    from yanpiao.accounts.models import User

    columns = [f"t.{name}" for name in _TOKEN_COLUMNS] + [f"u.{name}" for name in _USER_COLUMNS]
    cursor = dbapi.cursor()
    try:
        cursor.execute(
            dbapi.sql(
                f"SELECT {', '.join(columns)} FROM {ApiToken._meta.db_table} t "  # nosec B608  # table names from the models' _meta; the digest is a parameter
                f"JOIN {User._meta.db_table} u ON u.id = t.user_id WHERE t.digest = %s"
            ),
            [token_digest],
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None
    token_values = dict(zip(_TOKEN_COLUMNS, row[: len(_TOKEN_COLUMNS)], strict=True))
    for name in ("expires_at", "revoked_at", "last_used_at"):
        token_values[name] = _aware(token_values[name])
    if isinstance(token_values["scopes"], str):  # SQLite keeps JSON as text
        token_values["scopes"] = json.loads(token_values["scopes"])
    user = _partial(User, dict(zip(_USER_COLUMNS, row[len(_TOKEN_COLUMNS) :], strict=True)))
    token = _partial(ApiToken, token_values)
    token.user = user
    return user, token


def _partial(model, values: dict):
    """An instance of ``model`` with these fields (by attname); the others load when first read."""
    fields = [f for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db("default", [f.attname for f in fields], [values[f.attname] for f in fields])


def _aware(value):
    """A datetime as the ORM gives it: the SQLite driver returns UTC without its zone."""
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, datetime.UTC)


def require_scope(token: ApiToken, scope: str) -> None:
    """Raise :class:`MissingScope` unless the token carries ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    if scope not in token.scopes:
        raise MissingScope(f"this token does not carry the scope {scope!r}")
