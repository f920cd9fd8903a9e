"""Who is told of an alert: subscribed auditors by e-mail (through a real SMTP server on loopback),
departments' systems by signed webhooks (a real HTTP receiver on loopback), with retries."""

import datetime
import hashlib
import hmac
import time

import pytest
from django.utils import timezone

from yanpiao.alerts import services, tasks, webhooks
from yanpiao.alerts.models import Alert, Delivery
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


def duplicate(severity="high", evidence=("v1",)):
    return services.raise_alert(
        Alert.Kind.DUPLICATE_REIMBURSEMENT,
        severity,
        Alert.Subject.INVOICE,
        "42",
        "Presented by another organisation.",
        evidence,
    )


def signature_holds(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does: recompute the signature over the bytes received, refuse stale ones."""
    timestamp = headers["X-Yanpiao-Timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    )
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, headers["X-Yanpiao-Signature"])


# --- e-mail ----------------------------------------------------------------------------------------


def test_a_subscribed_auditor_is_mailed_once_per_alert(smtp, auditor, admin):
    services.subscribe(auditor)  # every kind, medium and up
    services.subscribe(admin, kinds=["model"])  # not this kind
    duplicate(evidence=["v1"])
    duplicate(evidence=["v2"])  # a repeat of the same severity tells nobody again
    [message] = smtp.messages
    assert message["To"] == "shen.ji@example.com"
    assert "重复报销" in message["Subject"]
    content = message.get_content()
    assert "Presented by another organisation." in content and "/alerts/" in content


def test_an_auditor_below_the_severity_they_want_is_not_mailed_until_it_rises(smtp, auditor):
    services.subscribe(auditor, min_severity="high")
    duplicate(severity="medium")
    assert smtp.messages == []
    duplicate(severity="high")
    assert len(smtp.messages) == 1


def test_someone_no_longer_staff_is_not_mailed(smtp, auditor):
    services.subscribe(auditor)
    auditor.role = "taxpayer"
    auditor.save()
    duplicate()
    assert smtp.messages == []


# --- webhooks --------------------------------------------------------------------------------------


def test_a_webhook_receives_the_alert_signed(receiver, admin, worker):
    hook, secret = services.create_webhook(admin, "稽查局", receiver.url)
    alert = duplicate()
    worker()
    [(headers, body)] = receiver.requests
    assert signature_holds(secret, headers, body)
    assert not signature_holds("another secret", headers, body)
    assert receiver.bodies() == [
        {
            "id": str(alert.public_id),
            "kind": "duplicate_reimbursement",
            "severity": "high",
            "subject": "invoice",
            "summary": "Presented by another organisation.",
            "occurrences": 1,
            "created_at": alert.created_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
            "url": webhooks.alert_url(alert),
        }
    ]
    delivery = Delivery.objects.get()
    assert (delivery.webhook, delivery.status, delivery.attempts, delivery.last_status_code) == (
        hook,
        "delivered",
        1,
        200,
    )


def test_a_webhook_that_fails_once_is_tried_again_after_a_back_off(receiver, admin, worker):
    services.create_webhook(admin, "稽查局", receiver.url)
    receiver.answers = [500]
    before = timezone.now()
    duplicate()
    worker()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at >= before + webhooks.FIRST_BACKOFF
    worker()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    worker(later=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert len(receiver.requests) == 2


def test_a_delivery_fails_for_good_after_the_last_attempt_and_is_redelivered_on_request(
    receiver, admin, auditor, worker, audit_events
):
    services.create_webhook(admin, "稽查局", receiver.url)
    receiver.answers = [503] * webhooks.MAX_ATTEMPTS
    duplicate()
    for _ in range(webhooks.MAX_ATTEMPTS):
        worker(later=True)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    services.redeliver(delivery, auditor)
    assert audit_events[-1]["action"] == audit.Action.WEBHOOK_REDELIVER
    worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS + 1


def test_an_attempt_is_made_once_even_when_queued_twice(receiver, admin):
    services.create_webhook(admin, "稽查局", receiver.url)
    duplicate()
    delivery = Delivery.objects.get()
    assert tasks.attempt_delivery(delivery.pk, 1) == "delivered"
    assert tasks.attempt_delivery(delivery.pk, 1) == "stale"
    assert len(receiver.requests) == 1


def test_a_webhook_for_other_kinds_or_switched_off_gets_nothing(receiver, admin, worker):
    services.create_webhook(admin, "models only", receiver.url, kinds=["model"])
    off, _ = services.create_webhook(admin, "off", receiver.url)
    services.update_webhook(off, admin, active=False)
    duplicate()
    worker()
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_an_unreachable_receiver_is_an_error_recorded_not_an_exception(admin):
    services.create_webhook(admin, "nobody", "http://127.0.0.1:9/")
    duplicate()
    delivery = Delivery.objects.get()
    assert tasks.attempt_delivery(delivery.pk, 1) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error
