"""API tokens: shown once, stored hashed, scoped, expiring, revocable."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from yanpiao.accounts import tokens
from yanpiao.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return User.objects.create_user(email="owner@example.com")


@pytest.fixture
def issued(owner):
    return tokens.create_token(owner, "报销小程序", ["verify", "history:read"], days=30)


def bearer(secret: str) -> str:
    return f"Bearer {secret}"


def test_only_the_digest_and_prefix_of_the_secret_are_stored(issued):
    token, secret = issued
    assert secret.startswith("yp_") and len(secret) >= 40
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["digest"] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored["prefix"] == secret[:8]
    assert not any(secret in str(value) for value in stored.values())
    assert stored["scopes"] == ["history:read", "verify"]
    assert token.expires_at - token.created_at == datetime.timedelta(days=30)


def test_the_secret_is_shown_once_by_the_page(client, owner):
    client.force_login(owner)
    page = client.post("/security/tokens/", {"name": "小程序", "scopes": ["verify"], "days": "90"})
    assert page.status_code == 200
    html = page.content.decode()
    secret = html.split('<code id="secret">')[1].split("</code>")[0]
    token = ApiToken.objects.get(user=owner)
    assert secret.startswith(token.prefix) and tokens.authenticate(bearer(secret))[1] == token
    later = client.get("/security/tokens/").content.decode()
    assert token.prefix in later and secret not in later


def test_the_page_refuses_a_token_without_scopes(client, owner):
    client.force_login(owner)
    page = client.post("/security/tokens/", {"name": "小程序", "days": "90"})
    assert page.status_code == 400 and not ApiToken.objects.exists()


def test_authenticate_with_the_secret(issued, owner):
    token, secret = issued
    user, found = tokens.authenticate(bearer(secret))
    assert (user, found) == (owner, token)
    assert tokens.authenticate(f"bearer   {secret}  ")[1] == token
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_the_owner_found_by_a_token_is_the_owner_in_full(issued, owner):
    owner.role, owner.display_name = "issuer", "张三"
    owner.save()
    token, secret = issued
    user, found = tokens.authenticate(bearer(secret))
    assert (user.email, user.display_name, user.role, user.is_issuer) == (
        "owner@example.com",
        "张三",
        "issuer",
        True,
    )
    assert (found.name, found.scopes, found.expires_at) == (token.name, token.scopes, token.expires_at)
    assert found.user is user


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer yp_wrong", "Basic yp_x", "Token {secret}", "Bearer {secret}x", "{secret}"],
)
def test_a_wrong_secret_or_scheme_is_refused(issued, header):
    _, secret = issued
    assert tokens.authenticate(header.format(secret=secret)) is None
    assert tokens.authenticate(None) is None


def test_a_revoked_token_is_refused(issued, owner):
    token, secret = issued
    tokens.revoke(token, by=owner)
    assert tokens.state(token) == "revoked"
    assert tokens.authenticate(bearer(secret)) is None
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    tokens.revoke(token, by=owner)  # twice: unchanged
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


def test_an_expired_token_is_refused(issued):
    token, secret = issued
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert tokens.authenticate(bearer(secret)) is None
    assert tokens.state(ApiToken.objects.get(pk=token.pk)) == "expired"


def test_the_token_of_an_inactive_user_is_refused(issued, owner):
    _, secret = issued
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert tokens.authenticate(bearer(secret)) is None


def test_scopes(issued):
    token, secret = issued
    _, found = tokens.authenticate(bearer(secret))
    tokens.require_scope(found, "verify")
    with pytest.raises(tokens.MissingScope):
        tokens.require_scope(found, "batch")
    with pytest.raises(ValueError):
        tokens.require_scope(found, "admin")


def test_last_used_is_written_at_most_once_a_minute(issued):
    token, secret = issued
    tokens.authenticate(bearer(secret))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    tokens.authenticate(bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    tokens.authenticate(bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


@pytest.mark.parametrize(
    ("name", "scopes", "days"),
    [
        ("", ["verify"], 90),
        ("app", [], 90),
        ("app", ["everything"], 90),
        ("app", ["verify"], 366),
        ("app", ["verify"], 0),
    ],
)
def test_refused_tokens(owner, name, scopes, days):
    with pytest.raises(tokens.TokenError):
        tokens.create_token(owner, name, scopes, days)
    assert not ApiToken.objects.exists()


def test_creation_and_revocation_are_audited(owner, monkeypatch):
    from yanpiao.security import audit

    actions = []
    real = audit.record
    monkeypatch.setattr(audit, "record", lambda action, **kw: actions.append(action) or real(action, **kw))
    token, _ = tokens.create_token(owner, "app", ["batch"])
    tokens.revoke(token, by=owner)
    assert actions == ["api_token.create", "api_token.revoke"]


def test_the_tokens_page_does_not_make_a_token_that_can_make_tokens(client, owner):
    """Only the app's log-in token manages tokens: a leaked integration token cannot mint more."""
    client.force_login(owner)
    page = client.post("/security/tokens/", {"name": "集成", "scopes": ["verify", "account"], "days": "90"})
    assert page.status_code == 400 and not ApiToken.objects.exists()
    assert 'value="account"' not in client.get("/security/tokens/").content.decode()
