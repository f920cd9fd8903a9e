"""The batch's background task (Django's tasks API, the database backend): take chunks until none
is left.

Creating a batch enqueues :func:`process_batch` on the ``batches`` queue; a ``yanpiao worker``
runs it.  A task that starts on a batch with chunks still to take queues the next one first, so
idle workers join in one after the other until every worker is busy (one task is left over,
which finds nothing to do).  Several tasks of one batch thus run on several workers at once:
each claims chunks (:mod:`yanpiao.batches.chunks`), none takes a chunk another holds.

A worker killed mid-task leaves its task ``RUNNING`` for ever and its chunk claimed until the
lease runs out.  So every worker looks, now and then (:func:`rescue`), for active batches with a
chunk to take and no task waiting, and enqueues one for each: a killed worker's chunks are taken
up by any other once their lease has run out.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import TaskResultStatus, task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from yanpiao.batches import chunks

QUEUE = "batches"


@task(queue_name=QUEUE)
def process_batch(batch_id: int) -> int:
    """Verify the batch's chunks that no one else holds; the number of chunks done here."""
    rescue(batch_id)  # the next task, for the next idle worker
    return chunks.work(batch_id)


def enqueue(batch_id: int) -> None:
    """A task for the batch, queued when the caller's transaction commits: in the database
    backend the task's row is part of that transaction; an outside queue (Redis) gets the task
    only once the batch is there for its worker to find."""
    if isinstance(process_batch.get_backend(), DatabaseBackend):
        process_batch.enqueue(batch_id)
    else:
        transaction.on_commit(lambda: process_batch.enqueue(batch_id))


def waiting() -> set[int]:
    """The batches with a task of theirs waiting to run (in the database backend; with Redis it
    knows of none, and a rescue may queue a task too many, which finds no chunk and ends)."""
    found = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=process_batch.module_path)
    return {args_kwargs["args"][0] for args_kwargs in found.values_list("args_kwargs", flat=True)}


def rescue(batch_id: int | None = None) -> set[int]:
    """Enqueue a task for each active batch (or that one) with a chunk to take and no task
    waiting; their ids."""
    needed = chunks.takeable(batch_id) - waiting()
    for each in sorted(needed):
        enqueue(each)
    return needed
