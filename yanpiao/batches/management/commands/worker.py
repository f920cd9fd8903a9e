"""``yanpiao worker``: run the background tasks (batches), as django-tasks-db's ``db_worker``.

    yanpiao worker [--queue-name default,batches] [--interval 1] [--worker-id ID]
    yanpiao worker --once          # the tasks waiting now, then exit
    yanpiao worker --batch ID      # that batch's chunks, here, until it has ended; no task needed

Beside running tasks, a worker looks for batches that nobody is working on — a worker was killed,
its task stays ``RUNNING`` and its chunk claimed — and queues a task for each
(:func:`yanpiao.batches.tasks.rescue`): at start, and every half lease (at least every 30 s).
Any worker then takes the abandoned chunks once their lease has run out.

SIGINT or SIGTERM stops the worker after the task it is running (twice: at once).  Any number of
workers may run, on PostgreSQL on several machines.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django_tasks_db.management.commands import db_worker

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
        _rescue()
        if not self.batch:  # a worker that runs until stopped keeps looking
            threading.Thread(target=self._keep_rescuing, daemon=True, name="batch-rescue").start()
        super().run()

    def _keep_rescuing(self) -> None:
        while self.running:
            time.sleep(rescue_interval())
            _rescue()
            connection.close()  # this thread's own connection


def _rescue() -> None:
    try:
        queued = tasks.rescue()
    except DatabaseError:
        logger.warning("could not look for abandoned batches", exc_info=True)
        return
    if queued:
        logger.info("queued tasks for batches %s", ", ".join(map(str, sorted(queued))))


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

    def _work_on(self, public_id: str, worker_id: str) -> None:
        batch = Batch.objects.filter(public_id=_uuid(public_id)).first()
        if batch is None:
            raise CommandError(f"no batch {public_id}", returncode=2)
        done = chunks.work(batch.pk, worker_id, wait=True)
        batch.refresh_from_db()
        self.stdout.write(f"batch {batch.public_id}: {batch.status}; {done} chunks verified here")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise CommandError(f"not a batch id: {text!r}", returncode=2) from None
