"""``yanpiao worker``: run the background tasks (batches), as django-tasks-db's ``db_worker``, or
as django-rq's ``rqworker`` when the tasks go through Redis (``YANPIAO_REDIS_URL``).

    yanpiao worker [--queue-name default,batches] [--interval 1] [--worker-id ID]
    yanpiao worker --once          # the tasks waiting now, then exit (RQ: burst mode)
    yanpiao worker --batch ID      # that batch's chunks, here, until it has ended; no task needed

Under RQ the worker runs its tasks in its own process, as the database worker does (RQ's
``SimpleWorker``: no fork per task); ``--interval`` does not apply (RQ waits on Redis) and
``--worker-id`` names the RQ worker.

Beside running tasks, a worker looks for batches that nobody is working on — a worker was killed,
its task stays ``RUNNING`` and its chunk claimed — and queues a task for each
(:func:`yanpiao.batches.tasks.rescue`): at start, and every half lease (at least every 30 s).
Any worker then takes the abandoned chunks once their lease has run out.

SIGINT or SIGTERM stops the worker after the task it is running (twice: at once).  Any number of
workers may run, on PostgreSQL on several machines.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils.module_loading import import_string
from django_tasks_db.management.commands import db_worker
from django_tasks_rq import RQBackend
from rq import SimpleWorker

from yanpiao.batches import chunks, tasks
from yanpiao.batches.models import Batch

logger = logging.getLogger(__name__)

QUEUES = f"default,{tasks.QUEUE}"
RESCUE_SECONDS = 30.0  # at most, between two looks for abandoned batches


def rescue_interval() -> float:
    return max(1.0, min(RESCUE_SECONDS, chunks.lease_seconds() / 2))


class Worker(db_worker.Worker):
    """django-tasks-db's worker, which also queues tasks for abandoned batches now and then."""

    def shutdown(self, signum, frame) -> None:
        chunks.stopping.set()  # the running task stops after its chunk: the rest is left to others
        super().shutdown(signum, frame)

    def run(self) -> None:
        _start_rescuing(keep_looking=not self.batch, running=lambda: self.running)
        super().run()


class RQWorker(SimpleWorker):
    """RQ's in-process worker, whose running task also stops after its chunk when asked to stop."""

    def request_stop(self, signum, frame) -> None:
        chunks.stopping.set()
        super().request_stop(signum, frame)


def _start_rescuing(keep_looking: bool, running) -> None:
    """Look for abandoned batches now and, unless the worker stops when idle, every now and then
    in a thread while ``running()``."""
    _rescue()
    if keep_looking:
        threading.Thread(target=_keep_rescuing, args=(running,), daemon=True, name="batch-rescue").start()


def _keep_rescuing(running) -> None:
    while running():
        time.sleep(rescue_interval())
        _rescue()
        connection.close()  # this thread's own connection


def _rescue() -> None:
    """Queue what is due: tasks for abandoned batches, then each of ``YANPIAO_PERIODIC_TASKS`` (the
    dotted path of a ``schedule()`` that queues its task when it is due: the risk model's
    retraining, the tickets' overdue check …)."""
    try:
        queued = tasks.rescue()
        scheduled = [path for path in settings.YANPIAO_PERIODIC_TASKS if import_string(path)()]
    except DatabaseError:
        logger.warning("could not look for abandoned batches or periodic tasks", exc_info=True)
        return
    if queued:
        logger.info("queued tasks for batches %s", ", ".join(map(str, sorted(queued))))
    for path in scheduled:
        logger.info("queued the periodic task of %s", path)


class Command(BaseCommand):
    help = "Run the background tasks (batch verification) until stopped; --once: those waiting now."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name", default=QUEUES, help=f"queues to take tasks from, comma-separated ({QUEUES})"
        )
        parser.add_argument(
            "--interval",
            type=db_worker.valid_interval,
            default=1.0,
            help="seconds between looks for a task while there is none (1)",
        )
        parser.add_argument("--once", action="store_true", help="run the tasks waiting now, then exit")
        parser.add_argument(
            "--batch",
            dest="batch_id",
            default="",
            help="work on this batch (its id) here until it has ended, without a task",
        )
        parser.add_argument(
            "--worker-id",
            type=db_worker.validate_worker_id,
            default=None,
            help="this worker's name in the task records (unique)",
        )

    def handle(self, *args, **options):
        db_worker.Command(stdout=self.stdout, stderr=self.stderr).configure_logging(options["verbosity"])
        worker_id = options["worker_id"] or chunks.worker_id()
        if options["batch_id"]:
            self._work_on(options["batch_id"], worker_id)
            return
        if isinstance(tasks.process_batch.get_backend(), RQBackend):
            self._run_rq(options)
            return
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["once"],
            backend_name=db_worker.DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=not options["once"],
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()

    def _run_rq(self, options: dict) -> None:
        _start_rescuing(keep_looking=not options["once"], running=lambda: not chunks.stopping.is_set())
        call_command(
            "rqworker",
            *options["queue_name"].split(","),
            worker_class=f"{__name__}.RQWorker",
            job_class="django_tasks_rq.Job",
            burst=options["once"],
            name=options["worker_id"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )

    def _work_on(self, public_id: str, worker_id: str) -> None:
        batch = Batch.objects.filter(public_id=_uuid(public_id)).first()
        if batch is None:
            raise CommandError(f"no batch {public_id}", returncode=2)
        for sig in (signal.SIGINT, signal.SIGTERM):  # finish the chunk in hand, then stop
            signal.signal(sig, lambda *_: chunks.stopping.set())
        done = chunks.work(batch.pk, worker_id, wait=True)
        batch.refresh_from_db()
        self.stdout.write(f"batch {batch.public_id}: {batch.status}; {done} chunks verified here")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise CommandError(f"not a batch id: {text!r}", returncode=2) from None
