"""The delivery queue: mail, text messages and reset requests run after the response, and a failure
is logged and tried again, never lost."""

import datetime
import logging
import time

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import confirmed_user
from yanpiao.accounts import delivery
from yanpiao.accounts.models import Job
from yanpiao.accounts.sms import SmsBackend

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")


class FlakySms(SmsBackend):
    """Fails the first ``failures`` messages, then keeps what it is given."""

    failures = 1
    sent: list = []

    def send(self, phone, text):
        if FlakySms.failures > 0:
            FlakySms.failures -= 1
            raise OSError("gateway unreachable")
        FlakySms.sent.append((phone, text))


@pytest.fixture
def flaky_sms(settings):
    settings.YANPIAO_SMS_BACKEND = f"{__name__}.FlakySms"
    FlakySms.failures, FlakySms.sent = 1, []
    return FlakySms


def test_a_job_keeps_its_payload_encrypted(settings):
    settings.YANPIAO_DELIVERY = "command"
    delivery.enqueue_mail("li.na@example.com", "subject", "a secret link")
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM accounts_job")
        [(stored,)] = cursor.fetchall()
    assert "li.na" not in stored and "secret" not in stored
    assert Job.objects.get().data()["to"] == "li.na@example.com"


def test_a_failed_text_message_is_logged_and_sent_again_later(settings, flaky_sms, caplog):
    settings.YANPIAO_DELIVERY = "command"
    confirmed_user(phone="13800138000")
    Client().post(RESET, {"login": "13800138000"})
    now = timezone.now()
    delivery.deliver_due(now=now)  # the reset request runs, queues the text, which fails once
    assert not flaky_sms.sent
    [job] = Job.objects.all()
    assert job.kind == Job.Kind.TEXT and job.attempts == 1 and job.run_after > now
    assert job.last_error == "OSError"
    assert "gateway unreachable" in caplog.text and "13800138000" not in caplog.text
    delivery.deliver_due(now=now)  # not yet due
    assert not flaky_sms.sent
    delivery.deliver_due(now=job.run_after)
    [(phone, text)] = flaky_sms.sent
    assert phone == "13800138000" and "验证码" in text
    assert not Job.objects.exists()


def test_a_job_not_delivered_before_it_expires_is_dropped_with_an_error(settings, caplog):
    settings.YANPIAO_DELIVERY = "command"
    delivery.enqueue_mail("li.na@example.com", "subject", "body", valid=datetime.timedelta(minutes=30))
    caplog.set_level(logging.ERROR)
    delivery.deliver_due(now=timezone.now() + datetime.timedelta(minutes=31))
    assert not Job.objects.exists() and not mail.outbox
    assert "expired" in caplog.text and "li.na" not in caplog.text


def test_a_claimed_job_is_not_run_twice(settings):
    settings.YANPIAO_DELIVERY = "command"
    job = delivery.enqueue_mail("li.na@example.com", "subject", "body")
    now = timezone.now()
    assert delivery.claim(now) == [job.pk]
    assert delivery.claim(now) == []  # leased to the first taker
    assert delivery.claim(now + delivery.LEASE + datetime.timedelta(seconds=1)) == [job.pk]  # it died


@pytest.mark.django_db(transaction=True)  # no test transaction around: on_commit runs at once
def test_the_thread_is_woken_only_once_the_response_is_sent(settings, monkeypatch):
    settings.YANPIAO_DELIVERY = "thread"
    calls = []
    monkeypatch.setattr(
        delivery, "wake", lambda: calls.append(getattr(delivery._request, "in_request", None))
    )
    confirmed_user(email="li.na@example.com")
    Client().post(RESET, {"login": "li.na@example.com"})
    assert calls == [False]  # from request_finished, not while the page was being made
    delivery.enqueue_mail("li.na@example.com", "subject", "body")  # outside a request: at once
    assert calls == [False, False]
    Job.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_the_delivery_thread_sends_after_the_response(settings):
    settings.YANPIAO_DELIVERY = "thread"
    confirmed_user(email="li.na@example.com")
    try:
        assert Client().post(RESET, {"login": "li.na@example.com"}).status_code == 200
        deadline = time.monotonic() + 10
        while not mail.outbox and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [message.to for message in mail.outbox] == [["li.na@example.com"]]
        while Job.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Job.objects.exists()
    finally:
        delivery.stop_thread()
