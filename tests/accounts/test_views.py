"""Account pages: sign-up, log-in and lock-out, password rules, sessions, data download, deletion."""

import json

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, confirmed_user
from tests.support.pages import page_without_secrets
from yanpiao.accounts import middleware
from yanpiao.accounts.models import OneTimeCode, Role, User
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SIGNUP = reverse("accounts:signup")


def log_in(client, login, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": login, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def sign_up(client, login, password=PASSWORD, consent=True):
    data = {"login": login, "password1": password, "password2": password}
    if consent:
        data["consent"] = "on"
    return client.post(SIGNUP, data)


# --- sign-up -----------------------------------------------------------------------------------


def test_sign_up_page_links_the_privacy_notice(client):
    page = client.get(SIGNUP)
    assert page.status_code == 200 and reverse("accounts:privacy") in page.content.decode()
    assert client.get(reverse("accounts:privacy")).status_code == 200


def test_sign_up_requires_consent(client, mailoutbox):
    page = sign_up(client, "a@example.com", consent=False)
    assert page.status_code == 400 and "隐私声明" in page.content.decode()
    assert not User.objects.exists() and not mailoutbox


def test_sign_up_answers_the_same_for_a_registered_address(client, mailoutbox):
    new = sign_up(client, "new@example.com")
    confirmed_user(email="old@example.com")
    old = sign_up(Client(), "old@example.com")
    assert new.status_code == old.status_code == 200
    assert "accounts/signup_done.html" in {t.name for t in new.templates} & {t.name for t in old.templates}
    assert page_without_secrets(new).replace("new@", "old@") == page_without_secrets(old)
    assert [m.to for m in mailoutbox] == [["new@example.com"], ["old@example.com"]]


def test_sign_up_by_phone_leads_to_the_code_page(client):
    page = sign_up(client, "13800138000")
    assert page.status_code == 302 and page.url == reverse("accounts:confirm_phone")
    assert 'value="13800138000"' in client.get(page.url).content.decode()


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("abcdefg", False),  # 7 characters
        ("zqxjvkwp", True),  # 8, all lowercase: no composition rules
        ("password123", False),  # common
        ("12345678", False),  # common
        ("a long passphrase " * 4 + "that goes on", True),  # 84 characters
    ],
)
def test_password_rules(client, password, accepted):
    page = sign_up(client, "a@example.com", password)
    assert (page.status_code == 200) is accepted, page.content.decode()
    assert User.objects.exists() is accepted
    if accepted:
        assert User.objects.get().password.startswith("argon2$argon2id$")


# --- log-in, lock-out --------------------------------------------------------------------------


def test_log_in_with_either_address_and_log_out(client):
    confirmed_user(email="a@example.com", phone="13800138000")
    for login in ("A@example.com", "+86 138 0013 8000"):
        assert log_in(client, login).status_code == 302 and signed_in(client)
        assert client.get(reverse("accounts:logout")).status_code == 405  # log-out is a POST
        client.post(reverse("accounts:logout"))
        assert not signed_in(client)


def test_an_unconfirmed_address_cannot_log_in_and_gets_a_new_link(client, mailoutbox):
    User.objects.create_user("a@example.com", PASSWORD)
    page = log_in(client, "a@example.com")
    assert page.status_code == 200 and not signed_in(client) and "请先确认" in page.content.decode()
    assert len(mailoutbox) == 1 and "/accounts/confirm/email/" in mailoutbox[0].body
    assert "请先确认" not in log_in(client, "a@example.com", "wrong password").content.decode()


def test_four_failures_still_allow_a_log_in(client):
    confirmed_user(email="a@example.com")
    for _ in range(4):
        page = log_in(client, "a@example.com", "wrong password")
        assert page.status_code == 200 and "不正确" in page.content.decode()
    assert log_in(client, "a@example.com").status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.exists()  # reset on success


def lockout_sequence(login, address):
    client = Client(REMOTE_ADDR=address)
    statuses = [log_in(client, login, f"wrong password {n}").status_code for n in range(5)]
    page = log_in(client, login)  # the right password, if the account exists
    return client, statuses, page


def test_the_fifth_failure_locks_and_an_unknown_login_looks_the_same(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    confirmed_user(email="a@example.com")
    client, statuses, locked = lockout_sequence("a@example.com", "10.0.0.1")
    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429 and not signed_in(client)
    _, unknown_statuses, unknown = lockout_sequence("nobody@example.com", "10.0.0.2")
    assert unknown_statuses == statuses and unknown.status_code == 429

    text = page_without_secrets
    assert text(locked) == text(unknown) and 'id="locked-out"' in text(locked)
    # The lock is the address's (and the account's from there): the owner logs in from
    # elsewhere (test_hardening.py), and axes keeps no address in plaintext.
    assert log_in(Client(REMOTE_ADDR="10.0.0.1"), "nobody.else@example.com").status_code == 429
    assert not any("example.com" in f"{a.username}{a.post_data}" for a in AccessAttempt.objects.all())


def test_a_log_in_forgets_only_its_own_accounts_failures(settings):
    """With axes's own reset on success turned off, logging in to one's own account between
    guesses does not wipe the failures counted against someone else's."""
    settings.AXES_RESET_ON_SUCCESS = False
    confirmed_user(email="victim@example.com")
    confirmed_user(email="attacker@example.com")
    attacker = Client(REMOTE_ADDR="10.0.0.9")
    for _ in range(3):
        log_in(attacker, "victim@example.com", "a guess")
    log_in(attacker, "attacker@example.com", "a typo")
    assert log_in(attacker, "attacker@example.com").status_code == 302
    assert AccessAttempt.objects.get().failures_since_start == 3  # the victim's, still counted
    assert log_in(attacker, "victim@example.com", "a guess").status_code == 200  # the 4th
    assert log_in(attacker, "victim@example.com", "a guess").status_code == 429  # the 5th


def test_the_owner_logging_in_forgets_only_the_failures_from_their_own_address():
    confirmed_user(email="a@example.com")
    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(2):
            log_in(Client(REMOTE_ADDR=address), "a@example.com", "a guess")
    assert log_in(Client(REMOTE_ADDR="10.0.0.2"), "a@example.com").status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.1"]


def test_an_unknown_login_still_runs_the_password_hasher(client, monkeypatch):
    calls = []
    original = Argon2PasswordHasher.encode
    monkeypatch.setattr(
        Argon2PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    assert log_in(client, "nobody@example.com").status_code == 200
    assert calls == [1]


# --- passwords and sessions --------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions(client):
    user = confirmed_user(email="a@example.com")
    other = Client()
    log_in(client, "a@example.com")
    log_in(other, "a@example.com")
    page = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new secret",
            "new_password2": "a brand new secret",
        },
    )
    assert page.status_code == 302 and page.url == reverse("accounts:me")
    assert client.get(reverse("accounts:me")).status_code == 200
    assert other.get(reverse("accounts:me")).status_code == 302 and not signed_in(other)
    user.refresh_from_db()
    assert user.check_password("a brand new secret")
    assert log_in(Client(), "a@example.com").status_code == 200  # the old password
    assert AuditEntry.objects.filter(action="account.password_change", actor_id=user.pk).exists()


def test_password_change_needs_the_current_password(client):
    confirmed_user(email="a@example.com")
    log_in(client, "a@example.com")
    page = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong",
            "new_password1": "a brand new secret",
            "new_password2": "a brand new secret",
        },
    )
    assert page.status_code == 200 and User.objects.get().check_password(PASSWORD)


def shift(client, **seconds):
    session = client.session
    for key, delta in seconds.items():
        session[key] -= delta
    session.save()


@pytest.mark.parametrize(
    ("moved", "ends"),
    [
        ({middleware.LAST_SEEN: 29 * 60}, False),
        ({middleware.LAST_SEEN: 31 * 60}, True),
        ({middleware.STARTED: 12 * 3600 - 60}, False),
        ({middleware.STARTED: 12 * 3600 + 60}, True),
    ],
)
def test_an_auditors_session_ends_when_idle_or_old(client, moved, ends):
    client.force_login(confirmed_user(email="audit@example.com", role=Role.AUDITOR))
    client.get(reverse("accounts:privacy"))
    assert {middleware.STARTED, middleware.LAST_SEEN} <= set(client.session.keys())
    shift(client, **moved)
    page = client.get(reverse("accounts:privacy"))
    assert signed_in(client) is not ends
    if ends:
        assert page.status_code == 302 and page.url.startswith(LOGIN) and "expired=1" in page.url


def test_a_taxpayers_session_outlives_30_idle_minutes(client):
    client.force_login(confirmed_user(email="a@example.com"))
    client.get(reverse("accounts:me"))
    assert middleware.LAST_SEEN not in client.session
    session = client.session
    session.set_expiry(timezone.now() + timezone.timedelta(hours=11))  # as if 31 minutes had passed
    session.save()
    assert client.get(reverse("accounts:me")).status_code == 200 and signed_in(client)


def test_an_auditor_logging_in_starts_the_clock():
    confirmed_user(email="audit@example.com", role=Role.AUDITOR)
    client = Client()
    log_in(client, "audit@example.com")
    assert signed_in(client) and middleware.STARTED in client.session


# --- the user's data ---------------------------------------------------------------------------


def test_data_download(client):
    user = confirmed_user(email="a@example.com")
    Verification.objects.create(actor=user, channel="web", submitted={"number": "1"}, outcome="not_found")
    assert client.get(reverse("web:my_data")).status_code == 302  # log-in first
    client.force_login(user)
    page = client.get(reverse("web:my_data"))
    assert page.status_code == 200 and "attachment" in page["Content-Disposition"]
    data = json.loads(page.content)
    assert data["profile"]["email"] == "a@example.com" and len(data["verifications"]) == 1


def test_deleting_the_account(client):
    user = confirmed_user(email="a@example.com", phone="13800138000")
    row = Verification.objects.create(actor=user, channel="web", submitted={}, outcome="not_found")
    log_in(client, "a@example.com")
    assert client.post(reverse("accounts:delete_account"), {"password": "wrong"}).status_code == 400
    page = client.post(reverse("accounts:delete_account"), {"password": PASSWORD})
    assert page.status_code == 302 and not signed_in(client)
    assert not User.objects.exists() and not OneTimeCode.objects.exists()
    row.refresh_from_db()
    assert row.actor is None
    assert AuditEntry.objects.filter(action="account.delete", target=f"accounts.user:{user.pk}").exists()
    assert log_in(Client(), "a@example.com").status_code == 200
    assert log_in(Client(), "13800138000").status_code == 200
    assert User.objects.find_by_login("a@example.com") is None
