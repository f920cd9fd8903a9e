"""Issue 9, "Hardening", the accounts findings of the hostile probe: each test here failed before its fix.

1. a password reset took longer for a registered address than for an unknown one;
2. anyone could burn a stranger's confirmation link with five wrong guesses, and link ids counted up;
3. the phone number waiting for a code was kept in the session in clear;
4. five wrong passwords from one address locked the account out from every address;
5. sign-up had no limit per client or per destination;
6. links in mail took their host from the request's ``Host`` header.
"""

import re
from collections import Counter

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD, confirmed_user
from yanpiao.accounts.models import OneTimeCode, User
from yanpiao.security import keys

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SIGNUP = reverse("accounts:signup")
RESET = reverse("accounts:password_reset")


def log_in(client, login, password=PASSWORD):
    return client.post(LOGIN, {"username": login, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def sign_up(client, login):
    data = {"login": login, "password1": PASSWORD, "password2": PASSWORD, "consent": "on"}
    return client.post(SIGNUP, data)


def link_in(message) -> str:
    return re.search(r"https?://\S+?(/accounts/\S+/)", message.body).group(1)


# --- 1. a reset request does the same work whether the address is registered or not -------------


def normalised(sql: str) -> str:
    """The statement without its values: quoted strings, numbers, savepoint names, IN lists' lengths."""
    sql = re.sub(r'"s\d+_x\d+"', "?", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\((?:\?, )*\?\)", "(?)", sql)


def the_work(monkeypatch, client, login):
    """The SQL statements (values removed) and the key and hash operations of one reset request."""
    operations = Counter()
    derived, prf, aead = keys.derived_key, keys.index_prf, keys.fields_aead
    encode, verify = Argon2PasswordHasher.encode, Argon2PasswordHasher.verify

    def counting(name, function):
        def call(*args, **kwargs):
            operations[(name, *(a for a in args if isinstance(a, str)))] += 1
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(keys, "derived_key", counting("derived_key", derived))
    monkeypatch.setattr(keys, "index_prf", counting("index_prf", prf))
    monkeypatch.setattr(keys, "fields_aead", counting("fields_aead", aead))
    monkeypatch.setattr(Argon2PasswordHasher, "encode", counting("argon2.encode", encode))
    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting("argon2.verify", verify))
    with CaptureQueriesContext(connection) as queries:
        page = client.post(RESET, {"login": login})
    monkeypatch.undo()
    return page, [normalised(query["sql"]) for query in queries.captured_queries], operations


@pytest.mark.parametrize(
    ("known", "unknown"),
    [("li.na@example.com", "zhang.san@example.com"), ("13800138000", "13900139000")],
    ids=["email", "phone"],
)
def test_a_reset_request_does_the_same_work_for_an_unknown_address(
    settings, monkeypatch, timed_reads_held, known, unknown
):
    settings.YANPIAO_DELIVERY = "command"  # the queue is left to `yanpiao deliver`: the request alone
    confirmed_user(email="li.na@example.com", phone="13800138000")
    Client(REMOTE_ADDR="10.1.0.9").post(RESET, {"login": "wang.wu@example.com"})  # warm the key caches
    # Each from an address of its own, so that both meet the throttle's counters fresh.
    known_page, known_sql, known_ops = the_work(monkeypatch, Client(REMOTE_ADDR="10.1.0.1"), known)
    unknown_page, unknown_sql, unknown_ops = the_work(monkeypatch, Client(REMOTE_ADDR="10.1.0.2"), unknown)
    assert known_page.status_code == unknown_page.status_code
    assert known_sql == unknown_sql, "\n".join(known_sql) + "\n---\n" + "\n".join(unknown_sql)
    assert known_ops == unknown_ops
    # Nothing is looked up about the account during the request, and nothing is sent.
    assert not any("accounts_user" in sql or "accounts_onetimecode" in sql for sql in known_sql)


def test_the_reset_mail_leaves_after_the_response(settings, mailoutbox):
    from django.core.management import call_command

    from yanpiao.accounts.models import Job

    settings.YANPIAO_DELIVERY = "command"
    confirmed_user(email="li.na@example.com")
    assert Client().post(RESET, {"login": "li.na@example.com"}).status_code == 200
    assert not mailoutbox and Job.objects.count() == 1
    call_command("deliver", verbosity=0)
    assert [message.to for message in mailoutbox] == [["li.na@example.com"]]
    assert not Job.objects.exists()


# --- 2. wrong guesses do not burn a stranger's link; link ids are random -------------------------


def test_wrong_guesses_do_not_burn_someone_elses_link(mailoutbox):
    sign_up(Client(), "li.na@example.com")
    link = link_in(mailoutbox[0])
    public_id = link.rstrip("/").rsplit("/", 1)[1].split("-", 1)[0]
    guesser = Client(REMOTE_ADDR="10.2.0.1")
    for _ in range(5):
        assert guesser.post(f"/accounts/confirm/email/{public_id}-wrongsecret/").status_code == 400
    owner = Client(REMOTE_ADDR="10.2.0.2")
    assert owner.get(link).status_code == 200
    assert owner.post(link).status_code == 302
    assert User.objects.get().email_confirmed_at is not None


def test_a_guesser_is_throttled_by_client_address(settings, mailoutbox):
    settings.YANPIAO_CODE_GUESS_LIMIT = 3
    sign_up(Client(), "li.na@example.com")
    link = link_in(mailoutbox[0])
    public_id = link.rstrip("/").rsplit("/", 1)[1].split("-", 1)[0]
    guesser = Client(REMOTE_ADDR="10.2.0.1")
    statuses = [guesser.post(f"/accounts/confirm/email/{public_id}-guess{n}/").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 429, 429]
    page = guesser.get(f"/accounts/confirm/email/{public_id}-guess9/")
    assert page.status_code == 429 and "Retry-After" in page
    codes = reverse("accounts:confirm_phone")
    assert guesser.post(codes, {"phone": "13800138000", "code": "123456"}).status_code == 429
    assert Client(REMOTE_ADDR="10.2.0.2").post(link).status_code == 302  # the owner is not throttled


def test_link_ids_are_random_not_sequential(mailoutbox):
    for n in range(3):
        sign_up(Client(), f"user{n}@example.com")
    public_ids = [link_in(m).rstrip("/").rsplit("/", 1)[1].split("-", 1)[0] for m in mailoutbox]
    pks = {str(pk) for pk in OneTimeCode.objects.values_list("pk", flat=True)}
    for public_id in public_ids:
        assert re.fullmatch(r"[0-9a-f]{32}", public_id) and public_id not in pks
    assert len(set(public_ids)) == 3


# --- 3. no phone number in the session -----------------------------------------------------------


def sessions_text() -> str:
    return "\n".join(str(session.get_decoded()) for session in Session.objects.all())


def test_no_phone_number_is_kept_in_a_session():
    confirmed_user(phone="13800138000")
    clients = [Client() for _ in range(5)]
    sign_up(clients[0], "13700137000")  # a new account: waiting for its code
    User.objects.create_user(None, PASSWORD, phone="13600136000")
    log_in(clients[1], "13600136000")  # unconfirmed: a new code, then the code page
    clients[2].post(RESET, {"login": "13800138000"})  # registered
    clients[3].post(RESET, {"login": "13900139000"})  # not registered
    assert Session.objects.count() >= 4
    stored = sessions_text()
    for number in ("13700137000", "13600136000", "13800138000", "13900139000"):
        assert number not in stored
    # The code pages still show the number the code went to (it only travels to the page).
    assert 'value="13700137000"' in clients[0].get(reverse("accounts:confirm_phone")).content.decode()
    assert 'value="13600136000"' in clients[1].get(reverse("accounts:confirm_phone")).content.decode()
    sms_page = reverse("accounts:password_reset_sms")
    assert 'value="13900139000"' in clients[3].get(sms_page).content.decode()
    assert "13900139000" not in sessions_text()


# --- 4. a lock-out per account and address, and per address -------------------------------------


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere():
    confirmed_user(email="a@example.com")
    confirmed_user(email="b@example.com")
    attacker = Client(REMOTE_ADDR="10.4.0.1")
    statuses = [log_in(attacker, "a@example.com", f"wrong {n}").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    owner = Client(REMOTE_ADDR="10.4.0.2")
    assert log_in(owner, "a@example.com").status_code == 302 and signed_in(owner)
    # The attacker's address stays locked, for this account and for every other.
    assert log_in(attacker, "a@example.com").status_code == 429 and not signed_in(attacker)
    assert log_in(Client(REMOTE_ADDR="10.4.0.1"), "b@example.com").status_code == 429


# --- 5. sign-up is limited per client address and per destination -------------------------------


def test_sign_ups_from_one_client_are_limited(settings, mailoutbox):
    client = Client(REMOTE_ADDR="10.5.0.1")
    statuses = [sign_up(client, f"user{n}@example.com").status_code for n in range(20)]
    limit = settings.YANPIAO_SIGNUP_ADDRESS_LIMIT
    assert 0 < limit < 20
    assert statuses == [200] * limit + [429] * (20 - limit)
    assert len(mailoutbox) == limit == User.objects.count()
    page = sign_up(client, "one.more@example.com")
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert 'data-error="429"' in page.content.decode()


@pytest.mark.parametrize("login", ["li.na@example.com", "13800138000"])
def test_sign_ups_to_one_destination_are_limited(settings, mailoutbox, outbox, login):
    limit = settings.YANPIAO_SIGNUP_DESTINATION_LIMIT
    assert 0 < limit < 10
    statuses = [sign_up(Client(REMOTE_ADDR=f"10.5.1.{n}"), login).status_code for n in range(10)]
    assert statuses.count(429) == 10 - limit and 500 not in statuses
    sent = len(mailoutbox) + len(list((outbox / "sms").glob("*.txt")) if (outbox / "sms").exists() else [])
    assert sent == limit  # a confirmation, then already-registered notices


# --- 6. links are built from YANPIAO_SITE_URL, never from the Host header ------------------------


def test_links_in_mail_use_the_configured_site_url(settings, mailoutbox):
    settings.YANPIAO_SITE_URL = "https://fapiao.example.cn"
    confirmed_user(email="li.na@example.com")
    evil = Client(HTTP_HOST="evil.example")
    evil.post(RESET, {"login": "li.na@example.com"})
    sign_up(evil, "new@example.com")
    sign_up(evil, "li.na@example.com")  # the already-registered notice has links too
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        assert "evil.example" not in message.body
        assert re.findall(r"https?://[^/\s]+", message.body)
        assert set(re.findall(r"https?://[^/\s]+", message.body)) == {"https://fapiao.example.cn"}


def test_the_site_url_setting(monkeypatch):
    from yanpiao import config

    monkeypatch.delenv("YANPIAO_SITE_URL", raising=False)
    assert config.site_url("development") == config.site_url("test") == "http://127.0.0.1:8000"
    with pytest.raises(config.ConfigError, match="YANPIAO_SITE_URL is required"):
        config.site_url("production")
    monkeypatch.setenv("YANPIAO_SITE_URL", "https://fapiao.example.cn/")
    assert config.site_url("production") == "https://fapiao.example.cn"
    for wrong in ("fapiao.example.cn", "ftp://fapiao.example.cn", "https://", "https://a.cn/?x=1"):
        monkeypatch.setenv("YANPIAO_SITE_URL", wrong)
        with pytest.raises(config.ConfigError, match="YANPIAO_SITE_URL"):
            config.site_url("development")
    monkeypatch.setenv("YANPIAO_SITE_URL", "http://fapiao.example.cn")
    with pytest.raises(config.ConfigError, match="https"):
        config.site_url("production")
