"""Account services: sign-up, one-time codes and links, resets, export, deletion, the admin command."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command, get_commands
from django.utils import timezone

from tests.factories import PASSWORD, confirmed_user
from yanpiao.accounts import services
from yanpiao.accounts.management.commands.createsuperuser import Command as CreateSuperuser
from yanpiao.accounts.models import OneTimeCode, Role, User
from yanpiao.security import throttle
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db

Purpose = OneTimeCode.Purpose


def texts_to(outbox: Path, phone: str) -> list[str]:
    texts = (
        [path.read_text() for path in sorted((outbox / "sms").glob("*.txt"))]
        if (outbox / "sms").exists()
        else []
    )
    return [text.split("\n\n", 1)[1] for text in texts if text.startswith(f"To: {phone}\n")]


def last_code(outbox: Path, phone: str) -> str:
    return re.search(r"\b(\d{6})\b", texts_to(outbox, phone)[-1]).group(1)


def link_token(message) -> str:
    return re.search(r"https?://\S+/([0-9a-f]{32}-[\w-]+)/", message.body).group(1)


# --- sign-up -----------------------------------------------------------------------------------


def test_signing_up_by_email_sends_a_link_and_keeps_only_its_digest(mailoutbox):
    user = services.register("Li.Na@Example.com", PASSWORD, consent=True)
    assert user.email == "li.na@example.com" and user.email_confirmed_at is None
    assert user.privacy_consent_at and user.privacy_notice_version == services.PRIVACY_NOTICE_VERSION
    assert user.password.startswith("argon2$argon2id$")
    [message] = mailoutbox
    assert message.to == ["li.na@example.com"]
    token = link_token(message)
    code = OneTimeCode.objects.get(user=user, purpose=Purpose.CONFIRM_EMAIL)
    secret = token.split("-", 1)[1]
    assert secret not in code.digest and len(code.digest) == 64
    assert code.expires_at - code.created_at == datetime.timedelta(minutes=30)


def test_signing_up_needs_consent_to_the_privacy_notice(mailoutbox):
    with pytest.raises(ValidationError):
        services.register("a@example.com", PASSWORD, consent=False)
    assert not User.objects.exists() and not mailoutbox


def test_signing_up_with_a_registered_address_sends_a_notice_instead(mailoutbox, outbox):
    confirmed_user(email="a@example.com", phone="13800138000")
    assert services.register("A@example.com", "another fine password", consent=True) is None
    assert services.register("+86 138-0013-8000", "another fine password", consent=True) is None
    assert User.objects.count() == 1
    [message] = mailoutbox
    assert (
        message.to == ["a@example.com"]
        and "已经注册" in message.body
        and "/accounts/password/reset/" in message.body
    )
    [text] = texts_to(outbox, "13800138000")
    assert "已注册" in text and not re.search(r"\d{6}", text)


def test_signing_up_refuses_what_is_not_an_address_or_a_mobile_number():
    for login in ("not an address", "12345", "a@b"):
        with pytest.raises(ValidationError):
            services.register(login, PASSWORD, consent=True)


# --- e-mail links ------------------------------------------------------------------------------


def test_a_confirmation_link_works_once(mailoutbox):
    user = services.register("a@example.com", PASSWORD, consent=True)
    token = link_token(mailoutbox[0])
    assert services.link_user(token, Purpose.CONFIRM_EMAIL) == user  # looking does not use it
    assert services.confirm_email(token) == user
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    with pytest.raises(services.CodeInvalid):
        services.confirm_email(token)
    assert services.link_user(token, Purpose.CONFIRM_EMAIL) is None


def test_a_confirmation_link_expires_after_30_minutes(mailoutbox):
    start = timezone.now()
    services.register("a@example.com", PASSWORD, consent=True, now=start)
    token = link_token(mailoutbox[0])
    with pytest.raises(services.CodeInvalid):
        services.confirm_email(token, now=start + datetime.timedelta(minutes=30, seconds=1))
    assert services.confirm_email(token, now=start + datetime.timedelta(minutes=29)).email_confirmed_at


def test_a_tampered_link_is_refused_and_counted_against_the_client_not_the_link(settings, mailoutbox):
    settings.YANPIAO_CODE_GUESS_LIMIT = 4
    user = services.register("a@example.com", PASSWORD, consent=True)
    token = link_token(mailoutbox[0])
    public_id = token.split("-", 1)[0]
    for forged in (f"{public_id}-{'A' * 43}", "nonsense", "", f"{int(public_id, 16) + 1:032x}-x"):
        with pytest.raises(services.CodeInvalid):
            services.confirm_email(forged, client="10.0.0.1")
    assert OneTimeCode.objects.get(public_id=public_id).attempts == 0
    with pytest.raises(throttle.Exceeded):
        services.confirm_email(f"{public_id}-{'B' * 43}", client="10.0.0.1")
    assert services.confirm_email(token, client="10.0.0.2") == user


def test_a_new_link_replaces_the_earlier_one(mailoutbox):
    user = services.register("a@example.com", PASSWORD, consent=True)
    services.send_email_confirmation(user)
    first, second = (link_token(message) for message in mailoutbox)
    with pytest.raises(services.CodeInvalid):
        services.confirm_email(first)
    assert services.confirm_email(second) == user


def test_no_more_than_five_links_an_hour(mailoutbox):
    start = timezone.now()
    user = services.register("a@example.com", PASSWORD, consent=True, now=start)
    for minute in range(1, 6):
        services.send_email_confirmation(user, now=start + datetime.timedelta(minutes=minute))
    assert len(mailoutbox) == 5
    services.send_email_confirmation(user, now=start + datetime.timedelta(minutes=61))
    assert len(mailoutbox) == 6


# --- phone codes -------------------------------------------------------------------------------


def test_signing_up_by_phone_texts_a_six_digit_code_that_works_once(outbox):
    user = services.register("138 0013 8000", PASSWORD, consent=True)
    assert user.phone == "13800138000" and user.email == ""
    code = last_code(outbox, "13800138000")
    assert re.fullmatch(r"\d{6}", code)
    assert services.confirm_phone("+8613800138000", code).phone_confirmed_at is not None
    with pytest.raises(services.CodeInvalid):
        services.confirm_phone("13800138000", code)


def test_a_code_expires_after_10_minutes(outbox):
    start = timezone.now()
    services.register("13800138000", PASSWORD, consent=True, now=start)
    code = last_code(outbox, "13800138000")
    with pytest.raises(services.CodeInvalid):
        services.confirm_phone("13800138000", code, now=start + datetime.timedelta(minutes=10, seconds=1))
    assert services.confirm_phone("13800138000", code, now=start + datetime.timedelta(minutes=9, seconds=59))


def test_five_wrong_guesses_spend_a_code(outbox):
    services.register("13800138000", PASSWORD, consent=True)
    code = last_code(outbox, "13800138000")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(services.MAX_ATTEMPTS):
        with pytest.raises(services.CodeInvalid):
            services.confirm_phone("13800138000", wrong)
    with pytest.raises(services.CodeInvalid):
        services.confirm_phone("13800138000", code)


def test_a_code_for_an_unknown_number_is_refused_the_same_way():
    with pytest.raises(services.CodeInvalid) as refusal:
        services.confirm_phone("13900000000", "123456")
    assert str(refusal.value) == services.CodeInvalid.message


def test_resending_a_code_only_for_an_unconfirmed_number(outbox):
    services.register("13800138000", PASSWORD, consent=True)
    services.resend_phone_confirmation("13800138000")
    services.resend_phone_confirmation("13900000000")
    assert len(texts_to(outbox, "13800138000")) == 2 and not texts_to(outbox, "13900000000")
    services.confirm_phone("13800138000", last_code(outbox, "13800138000"))
    services.resend_phone_confirmation("13800138000")
    assert len(texts_to(outbox, "13800138000")) == 2


# --- resets ------------------------------------------------------------------------------------


def test_reset_by_text_message(outbox):
    user = confirmed_user(phone="13800138000")
    services.request_password_reset("13800138000")
    code = last_code(outbox, "13800138000")
    with pytest.raises(ValidationError):  # refused by the validators: the code stays usable
        services.reset_password_with_code("13800138000", code, "1234567")
    services.reset_password_with_code("13800138000", code, "a brand new secret")
    user.refresh_from_db()
    assert user.check_password("a brand new secret") and not user.check_password(PASSWORD)
    with pytest.raises(services.CodeInvalid):
        services.reset_password_with_code("13800138000", code, "yet another secret")
    assert "已更改" in texts_to(outbox, "13800138000")[-1]


def test_reset_for_an_unknown_address_sends_nothing(mailoutbox, outbox):
    services.request_password_reset("nobody@example.com")
    services.request_password_reset("13900000000")
    assert not mailoutbox and not (outbox / "sms").exists()
    assert not OneTimeCode.objects.exists()


def test_a_reset_link_confirms_the_address_and_clears_the_lockout(mailoutbox):
    from axes.models import AccessAttempt

    user = User.objects.create_user("a@example.com", PASSWORD)
    AccessAttempt.objects.create(
        username=user.email_index,
        ip_address="10.0.0.1",
        user_agent="",
        failures_since_start=5,
        get_data="",
        post_data="",
    )
    services.request_password_reset("a@example.com")
    user = services.reset_password_with_link(link_token(mailoutbox[0]), "a brand new secret")
    assert user.email_confirmed_at is not None
    assert not AccessAttempt.objects.exists()
    assert "已更改" in mailoutbox[-1].body


def test_the_lockout_counts_by_blind_index():
    field = django_settings.AXES_USERNAME_FORM_FIELD
    key = services.lockout_key(None, {field: "+86 138-0013-8000"})
    assert key == services.lockout_key(None, {field: "13800138000"}) and "13800138000" not in key
    assert services.lockout_key(None, {field: "A@Example.com"}) == services.lockout_key(
        None, {field: "a@example.com"}
    )
    user = User.objects.create_user("a@example.com", PASSWORD)  # after a log-in axes passes get_username()
    assert services.lockout_key(None, {field: user.get_username()}) == services.lockout_key(
        None, {field: "a@example.com"}
    )


# --- the user's data ---------------------------------------------------------------------------


def history(actor, outcome="authentic"):
    return Verification.objects.create(
        actor=actor, channel="web", submitted={"number": "00000001"}, outcome=outcome
    )


def test_deleting_an_account_keeps_the_history_without_its_actor():
    user = confirmed_user(email="a@example.com")
    row = history(user)
    services.delete_account(user)
    assert not User.objects.filter(pk=user.pk).exists()
    assert User.objects.find_by_login("a@example.com") is None
    row.refresh_from_db()
    assert row.actor is None and row.outcome == "authentic"


# --- createsuperuser ---------------------------------------------------------------------------


def test_createsuperuser_takes_an_email_or_a_phone(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "administrator password")
    call_command(CreateSuperuser(), "--email", "Admin@Example.com", "--phone", "13800138000", "--noinput")
    admin = User.objects.find_by_login("13800138000")
    assert admin == User.objects.find_by_login("admin@example.com")
    assert (
        admin.is_superuser
        and admin.role == Role.ADMIN
        and admin.email_confirmed_at
        and admin.phone_confirmed_at
    )
    assert admin.check_password("administrator password")
    with pytest.raises(CommandError, match="already registered"):
        call_command(CreateSuperuser(), "--email", "admin@example.com", "--noinput")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "short")
    with pytest.raises(CommandError):
        call_command(CreateSuperuser(), "--email", "other@example.com", "--noinput")
    with pytest.raises(CommandError, match="--email"):
        call_command(CreateSuperuser(), "--noinput")


def test_createsuperuser_replaces_djangos_command():
    assert get_commands()["createsuperuser"] == "yanpiao.accounts"
