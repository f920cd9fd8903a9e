"""What the periodic tasks share: whether one is already waiting to run.

The worker looks now and then at each ``schedule()`` listed in ``YANPIAO_PERIODIC_TASKS``; a
schedule queues its task when it is due and none is :func:`pending`.
"""

from __future__ import annotations

import datetime
import time

from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def pending(task, running_for: datetime.timedelta, now: datetime.datetime | None = None) -> bool:
    """Whether ``task`` is queued, or running since less than ``running_for`` (a worker killed
    mid-task leaves it RUNNING for ever), in the database backend.  With another backend (Redis)
    nothing is known of the queue: False, and a worker may queue the task once more."""
    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    since = (now or timezone.now()) - running_for
    found = DBTaskResult.objects.filter(task_path=task.module_path)
    return found.filter(
        Q(status=TaskResultStatus.READY) | Q(status=TaskResultStatus.RUNNING, started_at__gte=since)
    ).exists()


def queue_at_most_every(task, every: datetime.timedelta, last_queued: list[float]) -> bool:
    """Queue ``task`` unless one is waiting or was queued within ``every``; whether it was queued.

    In the database backend the queue itself says; with another backend (Redis) nothing is known
    of other workers, so each process queues one per ``every`` at most (``last_queued`` keeps the
    monotonic time it last did)."""
    if isinstance(task.get_backend(), DatabaseBackend):
        since = timezone.now() - every
        found = DBTaskResult.objects.filter(task_path=task.module_path)
        if found.filter(Q(status=TaskResultStatus.READY) | Q(enqueued_at__gte=since)).exists():
            return False
    elif last_queued and time.monotonic() - last_queued[-1] < every.total_seconds():
        return False
    task.enqueue()
    last_queued[:] = [time.monotonic()]
    return True
