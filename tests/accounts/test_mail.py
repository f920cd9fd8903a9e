"""Confirmation and reset through real mail (aiosmtpd on loopback) and through the outbox files."""

import email
import email.policy
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.mail import send_mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD
from tests.support.loopback import smtp_server
from tests.support.pages import page_without_secrets
from yanpiao.accounts.models import OneTimeCode, User
from yanpiao.accounts.sms import send_sms

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def smtp(settings):
    with smtp_server(settings, deliver_inline=False) as mailbox:
        yield mailbox


def texts_to(outbox: Path, phone: str) -> list[str]:
    files = sorted((outbox / "sms").glob("*.txt")) if (outbox / "sms").exists() else []
    return [
        path.read_text().split("\n\n", 1)[1]
        for path in files
        if path.read_text().startswith(f"To: {phone}\n")
    ]


def last_code(outbox: Path, phone: str) -> str:
    return re.search(r"\b(\d{6})\b", texts_to(outbox, phone)[-1]).group(1)


def log_in(client, login, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": login, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def sign_up(client, login):
    data = {"login": login, "password1": PASSWORD, "password2": PASSWORD, "consent": "on"}
    return client.post(reverse("accounts:signup"), data)


def age_codes(minutes: int) -> None:
    """Move every code and link ``minutes`` into the past."""
    for code in OneTimeCode.objects.all():
        code.created_at -= timedelta(minutes=minutes)
        code.expires_at -= timedelta(minutes=minutes)
        code.save()


# --- e-mail through SMTP -----------------------------------------------------------------------


def test_sign_up_by_email_and_confirm_by_the_mailed_link(client, smtp):
    assert sign_up(client, "li.na@example.com").status_code == 200
    [first] = smtp.links("li.na@example.com")
    assert first.startswith("/accounts/confirm/email/")
    # Logging in before confirming is refused, and mails a new link that replaces the first.
    assert log_in(client, "li.na@example.com").status_code == 200 and not signed_in(client)
    first_again, link = smtp.links("li.na@example.com")
    assert first_again == first != link and client.get(first).status_code == 400

    page = client.get(link)  # opening the link shows a button; a mail scanner's visit uses nothing
    assert page.status_code == 200 and User.objects.get().email_confirmed_at is None
    assert client.post(link).status_code == 302
    assert User.objects.get().email_confirmed_at is not None
    assert client.post(link).status_code == 400 and client.get(link).status_code == 400  # once

    assert log_in(client, "li.na@example.com").status_code == 302 and signed_in(client)


def test_a_confirmation_link_expires_after_30_minutes(client, smtp):
    sign_up(client, "li.na@example.com")
    [link] = smtp.links("li.na@example.com")
    age_codes(31)
    assert client.get(link).status_code == 400 and client.post(link).status_code == 400
    assert User.objects.get().email_confirmed_at is None


def test_reset_by_the_mailed_link(smtp):
    User.objects.create_user("li.na@example.com", PASSWORD, email_confirmed_at=timezone.now())
    laptop, phone, helpdesk = Client(), Client(), Client()
    log_in(laptop, "li.na@example.com")
    log_in(phone, "li.na@example.com")
    assert signed_in(laptop) and signed_in(phone)

    page = helpdesk.post(reverse("accounts:password_reset"), {"login": "Li.Na@example.com"})
    assert page.status_code == 200 and "如果该邮箱已注册" in page.content.decode()
    [link] = smtp.links("li.na@example.com")
    assert helpdesk.get(link).status_code == 200
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert helpdesk.post(link, data).status_code == 302

    # The link works once, the old password no longer does, and every session has ended.
    assert helpdesk.post(link, data).status_code == 400 and helpdesk.get(link).status_code == 400
    assert log_in(Client(), "li.na@example.com").status_code == 200
    assert log_in(Client(), "li.na@example.com", NEW_PASSWORD).status_code == 302
    laptop.get(reverse("accounts:me"))
    phone.get(reverse("accounts:me"))
    assert not signed_in(laptop) and not signed_in(phone)
    assert "密码" in smtp.messages[-1]["Subject"]  # the notice that it changed


def test_a_reset_link_expires_after_30_minutes(client, smtp):
    User.objects.create_user("li.na@example.com", PASSWORD, email_confirmed_at=timezone.now())
    client.post(reverse("accounts:password_reset"), {"login": "li.na@example.com"})
    [link] = smtp.links("li.na@example.com")
    age_codes(31)
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.get(link).status_code == 400 and client.post(link, data).status_code == 400
    assert User.objects.get().check_password(PASSWORD)


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(client, smtp):
    User.objects.create_user("li.na@example.com", PASSWORD, email_confirmed_at=timezone.now())
    known = client.post(reverse("accounts:password_reset"), {"login": "li.na@example.com"})
    unknown = client.post(reverse("accounts:password_reset"), {"login": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert page_without_secrets(known) == page_without_secrets(unknown)
    assert [message["To"] for message in smtp.messages] == ["li.na@example.com"]


# --- phone through the outbox ------------------------------------------------------------------


def test_sign_up_by_phone_and_confirm_by_the_texted_code(client, outbox):
    page = sign_up(client, "+86 138-0013-8000")
    assert page.status_code == 302
    code = last_code(outbox, "13800138000")
    assert re.fullmatch(r"\d{6}", code)
    confirm = reverse("accounts:confirm_phone")
    wrong = client.post(confirm, {"phone": "13800138000", "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert client.post(confirm, {"phone": "13800138000", "code": code}).status_code == 302
    assert User.objects.get().phone_confirmed_at is not None
    assert client.post(confirm, {"phone": "13800138000", "code": code}).status_code == 400  # once
    assert log_in(client, "13800138000").status_code == 302 and signed_in(client)


def test_an_unconfirmed_phone_gets_a_new_code_at_log_in(client, outbox):
    sign_up(client, "13800138000")
    age_codes(11)
    first = last_code(outbox, "13800138000")
    assert (
        client.post(reverse("accounts:confirm_phone"), {"phone": "13800138000", "code": first}).status_code
        == 400
    )
    page = log_in(client, "13800138000")
    assert page.status_code == 302 and page.url == reverse("accounts:confirm_phone")
    code = last_code(outbox, "13800138000")
    assert (
        client.post(reverse("accounts:confirm_phone"), {"phone": "13800138000", "code": code}).status_code
        == 302
    )


def test_reset_by_the_texted_code(client, outbox):
    User.objects.create_user(None, PASSWORD, phone="13800138000", phone_confirmed_at=timezone.now())
    other = Client()
    log_in(other, "13800138000")
    page = client.post(reverse("accounts:password_reset"), {"login": "138 0013 8000"})
    assert page.status_code == 302 and page.url == reverse("accounts:password_reset_sms")
    code = last_code(outbox, "13800138000")
    data = {"phone": "13800138000", "code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(reverse("accounts:password_reset_sms"), data).status_code == 302
    assert client.post(reverse("accounts:password_reset_sms"), data).status_code == 400  # once
    assert log_in(Client(), "13800138000").status_code == 200
    assert log_in(Client(), "13800138000", NEW_PASSWORD).status_code == 302
    other.get(reverse("accounts:me"))
    assert not signed_in(other)


def test_a_reset_code_expires_after_10_minutes(client, outbox):
    User.objects.create_user(None, PASSWORD, phone="13800138000", phone_confirmed_at=timezone.now())
    client.post(reverse("accounts:password_reset"), {"login": "13800138000"})
    code = last_code(outbox, "13800138000")
    age_codes(11)
    data = {"phone": "13800138000", "code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(reverse("accounts:password_reset_sms"), data).status_code == 400
    assert User.objects.get().check_password(PASSWORD)


# --- the outbox backends -----------------------------------------------------------------------


def test_the_outbox_writes_one_file_per_message_and_logs_a_masked_address(settings, outbox, caplog):
    settings.EMAIL_BACKEND = "yanpiao.accounts.outbox.OutboxEmailBackend"
    caplog.set_level(logging.INFO, logger="yanpiao.accounts.outbox")
    send_mail("one", "first body", None, ["zhang.san@example.com"])
    send_mail("two", "second body", None, ["zhang.san@example.com"])
    send_sms("+86 13800138000", "你好")
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    first = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert first["To"] == "zhang.san@example.com" and first.get_content().strip() == "first body"
    assert (files[0].stat().st_mode & 0o777) == 0o600
    assert texts_to(outbox, "13800138000") == ["你好\n"]
    logged = caplog.text
    assert "z***@example.com" in logged and "138****8000" in logged and "zhang.san" not in logged
    assert str(files[0]) in logged
