"""Accounts through the API: sign-up, confirmation, log-in (lock-out, two factors), log-out,
password reset and the caller's tokens; no account enumeration, one error shape, CSRF for sessions."""

import re
from pathlib import Path

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, confirmed_user, key_query
from yanpiao.accounts import tokens
from yanpiao.accounts.models import ApiToken, Role, User
from yanpiao.security.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh passphrase 2026"


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path) -> Path:
    """Mail and text messages leave as they are queued, text messages into this test's outbox."""
    settings.YANPIAO_OUTBOX = tmp_path / "outbox"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    settings.YANPIAO_DELIVERY = "inline"
    return Path(settings.YANPIAO_OUTBOX)


def call(client, path, data=None, **headers):
    return client.post(f"/api/v1{path}", data or {}, content_type="application/json", **headers)


def link_token(message) -> str:
    return re.search(r"https?://\S+/([0-9a-f]{32}-[\w-]+)/", message.body).group(1)


def last_code(outbox: Path, phone: str) -> str:
    texts = [path.read_text() for path in sorted((outbox / "sms").glob("*.txt"))]
    mine = [text for text in texts if text.startswith(f"To: {phone}\n")]
    return re.search(r"\b(\d{6})\b", mine[-1].split("\n\n", 1)[1]).group(1)


def bearer_of(answer) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['token']}"}


def error(answer) -> dict:
    return answer.json()["error"]


def log_in(client, login, password=PASSWORD, **extra):
    return call(client, "/auth/login", {"login": login, "password": password, **extra})


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


# --- sign-up, confirmation, log-in, log-out ------------------------------------------------------


def test_sign_up_confirm_log_in_verify_log_out(client, mailoutbox, register):
    answer = call(
        client, "/auth/signup", {"login": "Li.Na@example.com", "password": PASSWORD, "consent": True}
    )
    assert answer.status_code == 202
    assert answer.json()["status"] == "confirmation_sent" and answer.json()["channel"] == "email"
    assert [message.to for message in mailoutbox] == [["li.na@example.com"]]

    unconfirmed = log_in(client, "li.na@example.com")
    assert unconfirmed.status_code == 403 and error(unconfirmed)["code"] == "unconfirmed"
    assert len(mailoutbox) == 2  # a new link, which supersedes the first

    stale = call(client, "/auth/confirm", {"token": link_token(mailoutbox[0])})
    assert stale.status_code == 400 and error(stale)["code"] == "code_invalid"
    link = re.search(r"https?://\S+", mailoutbox[1].body).group(0)
    confirmed = call(client, "/auth/confirm", {"token": link})  # the whole link will do
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"

    answer = log_in(client, "li.na@example.com", device="iPhone 15")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["token"].startswith("yp_")
    assert body["scopes"] == sorted(["verify", "history:read", "batch", "account"])
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name.startswith("app login ") and token.name.endswith("(iPhone 15)")
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    odd_device = log_in(client, "li.na@example.com", device="bad\x00name")
    assert odd_device.status_code == 400 and "device" in error(odd_device)["fields"]
    assert actions()[-1] == "account.login"

    query = key_query(register())
    verified = call(client, "/verifications", query.to_json(), **bearer_of(answer))
    assert verified.status_code == 200 and verified.json()["outcome"] == "authentic"

    assert call(client, "/auth/logout", **bearer_of(answer)).status_code == 204
    refused = call(client, "/verifications", query.to_json(), **bearer_of(answer))
    assert refused.status_code == 401 and error(refused)["code"] == "invalid_token"
    assert tokens.state(ApiToken.objects.get(pk=body["id"])) == "revoked"


def test_sign_up_answers_the_same_for_a_registered_address(client, mailoutbox):
    confirmed_user(email="old@example.com")
    new = call(client, "/auth/signup", {"login": "new@example.com", "password": PASSWORD, "consent": True})
    old = call(Client(), "/auth/signup", {"login": "old@example.com", "password": PASSWORD, "consent": True})
    assert new.status_code == old.status_code == 202 and new.json() == old.json()
    assert [message.to for message in mailoutbox] == [["new@example.com"], ["old@example.com"]]
    assert "已注册" in mailoutbox[1].subject  # the owner is told, the caller is not
    assert User.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"login": "a@example.com", "password": PASSWORD}, "consent"),
        ({"login": "a@example.com", "password": PASSWORD, "consent": False}, "consent"),
        ({"login": "not a login", "password": PASSWORD, "consent": True}, "login"),
        ({"login": "a@example.com", "password": "password123", "consent": True}, "password"),
        ({"login": "a@example.com", "password": "short", "consent": True}, "password"),
        ({"login": "a@example.com", "consent": True}, "password"),
        ({"login": "a@example.com", "password": "x" * 2000, "consent": True}, "password"),
    ],
)
def test_sign_up_refuses_bad_input_by_field(client, mailoutbox, body, field):
    answer = call(client, "/auth/signup", body)
    assert answer.status_code == 400 and field in error(answer)["fields"]
    assert not User.objects.exists() and not mailoutbox


def test_sign_up_by_phone_and_confirm_with_the_code(client, outbox):
    answer = call(
        client, "/auth/signup", {"login": "+86 138-0013-8000", "password": PASSWORD, "consent": True}
    )
    assert answer.status_code == 202 and answer.json()["channel"] == "phone"
    code = last_code(outbox, "13800138000")
    wrong = "000000" if code != "000000" else "111111"
    bad = call(client, "/auth/confirm", {"phone": "13800138000", "code": wrong})
    assert bad.status_code == 400 and error(bad)["code"] == "code_invalid" and "code" in error(bad)["fields"]
    malformed = call(client, "/auth/confirm", {"phone": "13800138000", "code": "12ab"})
    assert malformed.status_code == 400 and "code" in error(malformed)["fields"]
    missing = call(client, "/auth/confirm", {"phone": "13800138000"})
    assert missing.status_code == 400 and error(missing)["fields"] == {"code": "required"}
    assert call(client, "/auth/confirm", {"phone": "13800138000", "code": code}).status_code == 200
    assert User.objects.get().phone_confirmed_at is not None
    assert log_in(client, "13800138000").status_code == 200


def test_wrong_links_are_throttled_per_client(settings, client):
    settings.YANPIAO_CODE_GUESS_LIMIT = 3
    guess = {"token": "0" * 32 + "-nothing"}
    statuses = [call(client, "/auth/confirm", guess).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    throttled = call(client, "/auth/confirm", guess)
    assert error(throttled)["code"] == "too_many_requests" and int(throttled["Retry-After"]) > 0


def test_sign_ups_from_one_client_are_limited(settings, client, mailoutbox):
    settings.YANPIAO_SIGNUP_ADDRESS_LIMIT = 2
    statuses = [
        call(
            client, "/auth/signup", {"login": f"u{n}@example.com", "password": PASSWORD, "consent": True}
        ).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429] and len(mailoutbox) == 2


# --- log-in ------------------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_login_answer_alike(client):
    confirmed_user(email="li.na@example.com")
    wrong = log_in(client, "li.na@example.com", "not the password")
    unknown = log_in(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() and error(wrong)["code"] == "invalid_credentials"
    assert actions().count("account.login_failed") == 2
    assert not ApiToken.objects.exists()


def test_failed_log_ins_lock_the_login_out(settings):
    confirmed_user(email="li.na@example.com")
    attacker = Client(REMOTE_ADDR="10.9.0.1")
    statuses = [
        log_in(attacker, "li.na@example.com", f"wrong {n}").status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [401] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = log_in(attacker, "li.na@example.com")  # the right password, too late
    assert locked.status_code == 429 and locked["Content-Type"] == "application/json"
    assert error(locked)["code"] == "locked_out" and int(locked["Retry-After"]) > 0
    assert not ApiToken.objects.exists()
    # The owner, elsewhere, still logs in; the web log-in shares the counter.
    assert log_in(Client(REMOTE_ADDR="10.9.0.2"), "li.na@example.com").status_code == 200
    web = attacker.post("/accounts/login/", {"username": "li.na@example.com", "password": PASSWORD})
    assert web.status_code == 429


def test_a_body_that_claims_to_be_a_form_is_refused(client):
    body = '{"login": "li.na@example.com", "password": "x"}'
    answer = client.post("/api/v1/auth/login", body, content_type="multipart/form-data")
    assert answer.status_code == 400 and error(answer)["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("role", "scopes"),
    [
        (Role.TAXPAYER, ["account", "batch", "history:read", "verify"]),
        (Role.ISSUER, ["account", "batch", "history:read", "issue", "verify"]),
    ],
)
def test_a_log_in_token_carries_the_scopes_of_the_role(client, role, scopes):
    confirmed_user(email="li.na@example.com", role=role)
    answer = log_in(client, "li.na@example.com")
    assert answer.status_code == 200 and answer.json()["scopes"] == scopes


def test_an_inactive_account_cannot_log_in(client):
    confirmed_user(email="li.na@example.com", is_active=False)
    answer = log_in(client, "li.na@example.com")
    assert answer.status_code == 401 and error(answer)["code"] == "invalid_credentials"


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_staff_log_in_with_a_second_factor(settings, client, role):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code does not make the next wait here
    user = confirmed_user(email="staff@example.com", role=role)
    no_device = log_in(client, "staff@example.com")
    assert no_device.status_code == 403 and error(no_device)["code"] == "two_factor_setup_required"

    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    without = log_in(client, "staff@example.com")
    assert without.status_code == 400 and error(without)["code"] == "otp_required"
    assert "otp" in error(without)["fields"]
    valid = code_of(device)
    wrong = log_in(client, "staff@example.com", otp="000000" if valid != "000000" else "111111")
    assert wrong.status_code == 401 and error(wrong)["code"] == "invalid_otp"
    assert "account.login_failed" in actions() and not ApiToken.objects.exists()

    answer = log_in(client, "staff@example.com", otp=f"{valid[:3]} {valid[3:]}")
    assert answer.status_code == 200 and answer.json()["token"].startswith("yp_")
    assert actions()[-1] == "account.login"
    wrong_password = log_in(client, "staff@example.com", "not the password", otp=code_of(device))
    assert wrong_password.status_code == 401 and error(wrong_password)["code"] == "invalid_credentials"


def test_a_session_needs_the_csrf_token():
    user = confirmed_user(email="li.na@example.com")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    answer = call(browser, "/tokens", {"name": "app", "scopes": ["verify"]})
    assert answer.status_code == 403 and error(answer)["code"] == "csrf_failed"
    assert not ApiToken.objects.exists()

    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    answer = call(
        browser, "/tokens", {"name": "app", "scopes": ["verify", "account"]}, HTTP_X_CSRFTOKEN=secret
    )
    assert answer.status_code == 201 and answer.json()["scopes"] == ["account", "verify"]

    assert call(browser, "/auth/logout").status_code == 403  # CSRF here too
    assert call(browser, "/auth/logout", HTTP_X_CSRFTOKEN=secret).status_code == 204
    assert "_auth_user_id" not in browser.session
    assert browser.get("/api/v1/tokens").status_code == 401


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_by_email_link(client, mailoutbox):
    confirmed_user(email="li.na@example.com")
    known = call(client, "/auth/password-reset", {"login": "li.na@example.com"})
    unknown = call(client, "/auth/password-reset", {"login": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    assert [message.to for message in mailoutbox] == [["li.na@example.com"]]
    token = link_token(mailoutbox[0])

    weak = call(client, "/auth/password-reset/complete", {"token": token, "password": "password123"})
    assert weak.status_code == 400 and error(weak)["code"] == "password_refused"
    wrong = call(
        client, "/auth/password-reset/complete", {"token": token[:-4] + "xxxx", "password": NEW_PASSWORD}
    )
    assert wrong.status_code == 400 and error(wrong)["code"] == "code_invalid"
    done = call(client, "/auth/password-reset/complete", {"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 200 and done.json()["status"] == "password_reset"
    again = call(client, "/auth/password-reset/complete", {"token": token, "password": NEW_PASSWORD})
    assert again.status_code == 400  # used

    assert log_in(client, "li.na@example.com").status_code == 401
    assert log_in(client, "li.na@example.com", NEW_PASSWORD).status_code == 200
    assert "account.password_change" in actions()


def test_password_reset_by_text_message(client, outbox):
    confirmed_user(phone="13800138000")
    assert call(client, "/auth/password-reset", {"login": "13800138000"}).status_code == 202
    code = last_code(outbox, "13800138000")
    body = {"phone": "13800138000", "code": code, "password": NEW_PASSWORD}
    assert call(client, "/auth/password-reset/complete", body).status_code == 200
    assert log_in(client, "13800138000", NEW_PASSWORD).status_code == 200


def test_password_reset_refuses_bad_input(client):
    answer = call(client, "/auth/password-reset", {"login": "not a login"})
    assert answer.status_code == 400 and "login" in error(answer)["fields"]
    missing = call(client, "/auth/password-reset/complete", {"password": NEW_PASSWORD})
    assert missing.status_code == 400 and set(error(missing)["fields"]) == {"phone", "code"}


def test_reset_requests_are_limited(settings, client):
    settings.YANPIAO_RESET_DESTINATION_LIMIT = 2
    statuses = [
        call(client, "/auth/password-reset", {"login": "x@example.com"}).status_code for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


# --- tokens ------------------------------------------------------------------------------------


@pytest.fixture
def owner():
    return confirmed_user(email="owner@example.com")


@pytest.fixture
def logged_in(client, owner) -> dict:
    return bearer_of(log_in(client, "owner@example.com"))


def test_the_token_list_never_shows_a_secret(client, owner, logged_in):
    _, secret = tokens.create_token(owner, "报销小程序", ["verify"])
    answer = client.get("/api/v1/tokens", **logged_in)
    assert answer.status_code == 200
    listed = answer.json()
    assert [token["name"] for token in listed][0] == "报销小程序" and len(listed) == 2
    assert all("secret" not in token and "digest" not in token for token in listed)
    assert (
        secret not in answer.content.decode()
        and logged_in["HTTP_AUTHORIZATION"][7:] not in answer.content.decode()
    )
    assert {token["state"] for token in listed} == {"active"}
    assert listed[0]["prefix"] == secret[:8]


def test_create_a_token_and_use_it(client, owner, logged_in, register):
    answer = call(client, "/tokens", {"name": "ERP", "scopes": ["verify"], "days": 7}, **logged_in)
    assert answer.status_code == 201
    created = answer.json()
    assert (
        created["secret"].startswith("yp_")
        and created["scopes"] == ["verify"]
        and created["state"] == "active"
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {created['secret']}"}
    query = key_query(register())
    assert call(client, "/verifications", query.to_json(), **headers).status_code == 200
    # A token without ``account`` manages no tokens.
    listing = client.get("/api/v1/tokens", **headers)
    assert listing.status_code == 403 and error(listing)["code"] == "missing_scope"
    assert call(client, "/tokens", {"name": "more", "scopes": ["verify"]}, **headers).status_code == 403
    assert call(client, f"/tokens/{created['id']}/revoke", **headers).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["verify", "account"]}, "scopes"),  # a token cannot grant account
        ({"name": "", "scopes": ["verify"]}, "name"),
        ({"name": "   ", "scopes": ["verify"]}, "name"),
        ({"name": "x" * 101, "scopes": ["verify"]}, "name"),
        ({"name": "x", "scopes": ["verify"], "days": 0}, "days"),
        ({"name": "x", "scopes": ["verify"], "days": 366}, "days"),
        ({"name": "x", "scopes": "verify"}, "scopes"),
        ({"name": "ERP\x00", "scopes": ["verify"]}, "name"),
    ],
)
def test_a_token_asked_for_badly_is_refused_by_field(client, logged_in, body, field):
    answer = call(client, "/tokens", body, **logged_in)
    assert answer.status_code == 400 and field in error(answer)["fields"], answer.content
    assert ApiToken.objects.count() == 1  # the log-in token


def test_revoke_a_token(client, owner, logged_in, make_user):
    mine, secret = tokens.create_token(owner, "ERP", ["verify"])
    theirs, _ = tokens.create_token(make_user(), "someone else's", ["verify"])
    answer = call(client, f"/tokens/{mine.pk}/revoke", **logged_in)
    assert answer.status_code == 200 and answer.json()["state"] == "revoked"
    assert call(client, f"/tokens/{mine.pk}/revoke", **logged_in).status_code == 200  # twice: no change
    assert tokens.authenticate(f"Bearer {secret}") is None

    for missing in (theirs.pk, 10**9, 2**63 - 1):
        refused = call(client, f"/tokens/{missing}/revoke", **logged_in)
        assert refused.status_code == 404 and error(refused)["code"] == "not_found"
    assert tokens.state(ApiToken.objects.get(pk=theirs.pk)) == "active"
    for bad in ("abc", "0", str(2**64)):
        assert call(client, f"/tokens/{bad}/revoke", **logged_in).status_code in (400, 404)


def test_token_endpoints_need_a_caller(client):
    assert client.get("/api/v1/tokens").status_code == 401
    assert call(client, "/tokens", {"name": "x", "scopes": ["verify"]}).status_code == 401
    assert call(client, "/auth/logout").status_code == 401


def test_a_verify_only_token_cannot_read_the_history(client, owner, bearer):
    headers = bearer(owner, ["verify"])
    for path in ("/api/v1/verifications", "/api/v1/tokens"):
        answer = client.get(path, **headers)
        assert answer.status_code == 403 and error(answer)["code"] == "missing_scope", path
    assert client.get("/api/v1/verifications", **bearer(owner, ["history:read"])).status_code == 200
