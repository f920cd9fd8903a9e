"""The risk model's background task: :func:`retrain`, on the ``default`` queue, scheduled by the
worker (:func:`schedule`) whenever the active model is older than ``YANPIAO_RISK_RETRAIN_HOURS``
(24) — or there is none while the registry holds invoices — and no retraining is waiting.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yanpiao import periodic
from yanpiao.registry.models import Invoice
from yanpiao.risk import learning

QUEUE = "default"
RUNNING_FOR = datetime.timedelta(hours=1)  # a training takes about a minute on a million invoices


@task(queue_name=QUEUE)
def retrain() -> int:
    """Train a new model version on the whole registry; its number."""
    return learning.train().version


def due(now: datetime.datetime | None = None) -> bool:
    """Whether the model needs training: the active one is too old, or there is none yet and the
    registry holds invoices."""
    version = learning.active()
    if version is None:
        return Invoice.objects.exists()
    age = (now or timezone.now()) - version.trained_at
    return age >= datetime.timedelta(hours=settings.YANPIAO_RISK_RETRAIN_HOURS)


def waiting(now: datetime.datetime | None = None) -> bool:
    """Whether a retraining is queued, or running since less than RUNNING_FOR (a worker killed
    mid-training leaves its task RUNNING for ever), in the database backend; with Redis none is
    known, and a worker may queue one too many (it trains once more)."""
    return periodic.pending(retrain, RUNNING_FOR, now)


def schedule(now: datetime.datetime | None = None) -> bool:
    """Enqueue a retraining when one is due and none is waiting; whether one was enqueued."""
    if not due(now) or waiting(now):
        return False
    retrain.enqueue()
    return True


__all__ = ["QUEUE", "due", "retrain", "schedule", "waiting"]
