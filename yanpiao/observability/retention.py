"""Retention: the verification history and the log files are kept ``YANPIAO_HISTORY_RETENTION_DAYS``
and ``YANPIAO_LOG_RETENTION_DAYS`` (183 days, six months, by default and at least), then deleted by
:func:`prune`, a task that every worker queues once a day (:func:`schedule`, one of
``YANPIAO_PERIODIC_TASKS``).

- History: the verifications older than the retention, oldest first, in chunks of
  ``CHUNK_ROWS``; each chunk is one transaction with its ``retention.prune`` audit entry (how
  many, the cut-off, the first and last id), so a prune stopped half-way leaves nothing deleted
  unaccounted.  Their ratings and suspicion reports go with them; a ticket keeps its text and
  loses the link.
- Log files: Yanpiao writes its logs to stderr (the service manager or the collector keeps them);
  files an operator directs to ``YANPIAO_HOME/logs`` are deleted once last written before the
  log retention.
- The audit log is never pruned: it is append-only and its hash chain and signed checkpoints
  would not hold without every entry.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from yanpiao import dbapi, periodic
from yanpiao.observability import metrics
from yanpiao.security import audit
from yanpiao.verification.models import Verification

QUEUE = "default"
CHUNK_ROWS = 5000
EVERY = datetime.timedelta(days=1)
_last_queued: list[float] = []  # monotonic time this process last queued a prune (Redis queue)


@dataclass(frozen=True)
class Pruned:
    verifications: int
    log_files: int


def logs_dir() -> Path:
    return Path(settings.HOME) / "logs"


def prune_history(now: datetime.datetime | None = None, chunk: int = CHUNK_ROWS) -> int:
    """Delete the verifications older than the history retention; how many."""
    before = (now or timezone.now()) - datetime.timedelta(days=settings.YANPIAO_HISTORY_RETENTION_DAYS)
    deleted = 0
    while True:
        with dbapi.serialized_writes(), transaction.atomic():
            ids = list(
                Verification.objects.filter(created_at__lt=before)
                .order_by("id")
                .values_list("id", flat=True)[:chunk]
            )
            if not ids:
                break
            Verification.objects.filter(id__in=ids).delete()
            audit.record(
                audit.Action.RETENTION_PRUNE,
                None,
                audit.target(Verification),
                {
                    "kind": "verification",
                    "count": len(ids),
                    "before": audit.instant(before),
                    "first_id": ids[0],
                    "last_id": ids[-1],
                    "retention_days": settings.YANPIAO_HISTORY_RETENTION_DAYS,
                },
            )
        metrics.PRUNED.labels("verification").inc(len(ids))
        deleted += len(ids)
        if len(ids) < chunk:
            break
    return deleted


def prune_log_files(now: datetime.datetime | None = None) -> int:
    """Delete the files under ``YANPIAO_HOME/logs`` last written before the log retention; how many."""
    folder = logs_dir()
    if not folder.is_dir():
        return 0
    before = (now or timezone.now()) - datetime.timedelta(days=settings.YANPIAO_LOG_RETENTION_DAYS)
    old = [
        path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < before.timestamp()
    ]
    for path in old:
        path.unlink(missing_ok=True)
    if old:
        with dbapi.serialized_writes(), transaction.atomic():
            audit.record(
                audit.Action.RETENTION_PRUNE,
                None,
                "logs",
                {
                    "kind": "log_file",
                    "count": len(old),
                    "before": audit.instant(before),
                    "retention_days": settings.YANPIAO_LOG_RETENTION_DAYS,
                },
            )
        metrics.PRUNED.labels("log_file").inc(len(old))
    return len(old)


def prune_expired(now: datetime.datetime | None = None) -> Pruned:
    """Delete what is past its retention: the history, then the log files."""
    return Pruned(prune_history(now), prune_log_files(now))


@task(queue_name=QUEUE)
def prune() -> dict:
    """The background task: :func:`prune_expired`, its counts."""
    pruned = prune_expired()
    return {"verifications": pruned.verifications, "log_files": pruned.log_files}


def schedule() -> bool:
    """Queue a prune unless one is waiting or was queued within a day; whether one was queued.
    With the Redis queue nothing is known of other workers: each queues one a day at most."""
    return periodic.queue_at_most_every(prune, EVERY, _last_queued)


__all__ = ["Pruned", "prune", "prune_expired", "prune_history", "prune_log_files", "schedule"]
