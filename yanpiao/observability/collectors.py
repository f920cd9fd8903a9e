"""Gauges read from the database when ``/metrics`` is scraped, the same whichever process answers:
tasks waiting in the queue, batches and their rows, open alerts by severity, audit entries not yet
under a signed checkpoint.  A database that does not answer gives ``yanpiao_metrics_database_up 0``
and none of the others (the counters still come)."""

from __future__ import annotations

import json
import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Sum
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import GaugeMetricFamily

from yanpiao.alerts.models import Alert, Severity
from yanpiao.batches.models import Batch
from yanpiao.security import audit
from yanpiao.security.models import AuditEntry

logger = logging.getLogger(__name__)

QUEUES = ("default", "batches")
TAIL_BYTES = 8192  # a checkpoint line is about 500 bytes: the last one is in the file's last 8 KiB


class DatabaseGauges:
    """A prometheus_client collector of the gauges above."""

    def collect(self):
        try:
            families = list(self._families())
        except DatabaseError:
            logger.warning("metrics: the database did not answer", exc_info=True)
            families = []
        up = GaugeMetricFamily("yanpiao_metrics_database_up", "Whether the database answered this scrape.")
        up.add_metric([], 1 if families else 0)
        yield from families
        yield up

    def _families(self):
        yield queue_depth()
        yield from batches()
        yield open_alerts()
        yield audit_backlog()


def queue_depth() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "yanpiao_queue_tasks_waiting", "Tasks waiting to be run, by queue.", labels=["queue"]
    )
    waiting = dict.fromkeys(QUEUES, 0)
    if settings.YANPIAO_REDIS_URL:
        waiting.update(_redis_queue_lengths())
    else:
        rows = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values_list("queue_name")
            .annotate(n=Count("id"))
            .order_by()
        )
        waiting.update(dict(rows))
    for queue, count in sorted(waiting.items()):
        family.add_metric([queue], count)
    return family


def _redis_queue_lengths() -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(settings.YANPIAO_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return {queue: client.llen(f"rq:queue:{queue}") for queue in QUEUES}
    except redis.RedisError:
        logger.warning("metrics: Redis did not answer", exc_info=True)
        return {}
    finally:
        client.close()


def batches():
    counted = dict(
        Batch.objects.filter(status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    family = GaugeMetricFamily("yanpiao_batches", "Batches queued or running, by status.", labels=["status"])
    for status in (Batch.Status.QUEUED, Batch.Status.RUNNING):
        family.add_metric([status.value], counted.get(status.value, 0))
    yield family
    rows = Batch.objects.filter(status=Batch.Status.RUNNING).aggregate(
        done=Sum("processed"), total=Sum("total")
    )
    progress = GaugeMetricFamily(
        "yanpiao_running_batch_rows", "Rows of the running batches: done and in all.", labels=["state"]
    )
    progress.add_metric(["done"], rows["done"] or 0)
    progress.add_metric(["total"], rows["total"] or 0)
    yield progress


def open_alerts() -> GaugeMetricFamily:
    counted = dict(
        Alert.objects.filter(status=Alert.Status.OPEN)
        .values_list("severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    family = GaugeMetricFamily("yanpiao_alerts_open", "Open alerts, by severity.", labels=["severity"])
    for severity in Severity:
        family.add_metric([severity.value], counted.get(severity.value, 0))
    return family


def audit_backlog() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "yanpiao_audit_entries_unsigned", "Audit entries recorded since the last signed checkpoint."
    )
    family.add_metric([], AuditEntry.objects.filter(id__gt=last_checkpoint_id()).count())
    return family


def last_checkpoint_id() -> int:
    """The id of the last entry a checkpoint signed (0 when none); read loosely, from the file's
    end: ``yanpiao audit verify`` is what checks the signatures."""
    try:
        with audit.checkpoints_path().open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - TAIL_BYTES))
            tail = stream.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return 0
    for line in reversed(tail.splitlines()):
        try:
            return int(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError):
            continue
    return 0
