"""Webhook deliveries as background tasks (Django's tasks API, the ``default`` queue, which
``yanpiao worker`` runs beside the batches).

Each task makes one attempt of one delivery.  It first *claims* the attempt: the delivery's
``attempts`` moves from ``attempt - 1`` to ``attempt`` in one statement, so a task queued twice
for the same attempt (a redelivery while a retry waits) posts once.  A failed attempt queues the
next with ``run_after`` set by :func:`yanpiao.alerts.webhooks.backoff` (30 s, 60 s, 120 s …)
until :data:`~yanpiao.alerts.webhooks.MAX_ATTEMPTS`; then the delivery is ``failed`` until an
auditor asks for it again (:func:`yanpiao.alerts.services.redeliver`).
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from yanpiao import dbapi
from yanpiao.alerts import webhooks
from yanpiao.alerts.models import Delivery

logger = logging.getLogger(__name__)


@task()
def deliver_webhook(delivery_id: int, attempt: int) -> str:
    """Attempt ``attempt`` (1, 2 …) of the delivery; its status afterwards (``stale`` when the
    attempt was made already or the delivery is no longer pending)."""
    return attempt_delivery(delivery_id, attempt)


def enqueue(delivery_id: int, attempt: int, run_after: datetime.datetime | None = None) -> None:
    """Queue the attempt: in the database backend inside the caller's transaction (it commits
    with the delivery), any other backend once that transaction has committed."""
    queued = deliver_webhook.using(run_after=run_after) if run_after else deliver_webhook
    if isinstance(deliver_webhook.get_backend(), DatabaseBackend):
        queued.enqueue(delivery_id, attempt)
    else:
        transaction.on_commit(lambda: queued.enqueue(delivery_id, attempt))


def attempt_delivery(delivery_id: int, attempt: int, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    with dbapi.serialized_writes(), transaction.atomic():
        claimed = Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.PENDING, attempts=attempt - 1
        ).update(attempts=F("attempts") + 1, next_attempt_at=None)
    if not claimed:
        return "stale"
    delivery = Delivery.objects.select_related("webhook", "alert").get(pk=delivery_id)
    hook = delivery.webhook
    if not hook.active:
        status, error = None, "the webhook is switched off"
    else:
        status, error = webhooks.post(hook.url, hook.secret, webhooks.body(delivery.alert), now)
    with dbapi.serialized_writes(), transaction.atomic():
        delivery.last_status_code = status
        delivery.last_error = error
        if not error:
            delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, timezone.now()
        elif attempt >= webhooks.MAX_ATTEMPTS or not hook.active:
            delivery.status = Delivery.Status.FAILED
            logger.warning(
                "webhook delivery %s failed for good after %s attempts: %s", delivery_id, attempt, error
            )
        else:
            delivery.next_attempt_at = now + webhooks.backoff(attempt)
            enqueue(delivery_id, attempt + 1, delivery.next_attempt_at)
            logger.info(
                "webhook delivery %s attempt %s failed (%s); again from %s",
                delivery_id,
                attempt,
                error,
                delivery.next_attempt_at.isoformat(timespec="seconds"),
            )
        delivery.save(
            update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
        )
    return delivery.status
