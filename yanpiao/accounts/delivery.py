"""Work done after the response: mail, text messages and password-reset requests, queued in the database.

A request only adds a :class:`~yanpiao.accounts.models.Job` row (its payload encrypted: it holds
addresses and live secrets) and, once its transaction has committed and its response has been
sent (Django's ``request_finished``), wakes this process's delivery thread.  So no page waits
for an SMTP server or an SMS gateway, and a page takes as long whatever the job turns out to
do (a reset request for an unknown address does nothing): the thread does not even compete
with the request that queued the job.

The thread runs what is due, as does ``yanpiao deliver``:

- a job is *claimed* first: its ``run_after`` moves :data:`LEASE` ahead in one short transaction
  (``SKIP LOCKED`` on PostgreSQL; on SQLite the write lock taken at ``BEGIN`` serialises
  takers), so no two threads or processes run one job at once, and a job whose taker died is
  run again once the lease is over;
- a job that succeeds is deleted: nothing that was sent stays stored;
- a job that fails is logged and tried again after 1, 2, 4 … minutes (at most an hour) until it
  expires; then it is deleted with an error in the log (a code past its validity is worth
  nothing).  Nothing is dropped silently.

The thread starts with the first job its process queues and then looks for due jobs at least
every :data:`POLL` seconds, so retries, and jobs left behind by a process that stopped, are run.
``settings.YANPIAO_DELIVERY`` chooses: ``thread`` (the default), ``command`` (jobs wait for
``yanpiao deliver [--loop]``, e.g. a worker process of their own), ``inline`` (a job runs as it is
queued, in the request: for tests).
"""

from __future__ import annotations

import datetime
import json
import logging
import threading

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.module_loading import import_string

from yanpiao.accounts.models import Job
from yanpiao.accounts.sms import send_sms

logger = logging.getLogger(__name__)

MODES = ("thread", "command", "inline")
LEASE = datetime.timedelta(minutes=5)  # a claimed job is left alone this long
POLL = 60.0  # seconds: the thread looks for due jobs at least this often
BATCH = 20
MAX_BACKOFF = datetime.timedelta(hours=1)
DEFAULT_VALIDITY = datetime.timedelta(days=1)

HANDLERS = {
    Job.Kind.MAIL: "yanpiao.accounts.delivery.send_mail_job",
    Job.Kind.TEXT: "yanpiao.accounts.delivery.send_text_job",
    Job.Kind.PASSWORD_RESET: "yanpiao.accounts.services.run_password_reset",
}


# --- queueing ----------------------------------------------------------------------------------


def enqueue(
    kind: str,
    data: dict,
    *,
    valid: datetime.timedelta = DEFAULT_VALIDITY,
    now: datetime.datetime | None = None,
) -> Job:
    """Queue a job, to run after the current transaction commits; it expires ``valid`` from now."""
    now = now or timezone.now()
    mode = settings.YANPIAO_DELIVERY
    job = Job(kind=kind, payload=json.dumps(data), created_at=now, run_after=now, expires_at=now + valid)
    job.attempts = 1 if mode == "inline" else 0
    job.save()
    if mode == "inline":
        _run(job, now)
    elif mode == "thread":
        transaction.on_commit(_wake_after_response)
    return job


def enqueue_mail(to: str, subject: str, body: str, **kwargs) -> Job:
    return enqueue(Job.Kind.MAIL, {"to": to, "subject": subject, "body": body}, **kwargs)


def enqueue_text(phone: str, text: str, **kwargs) -> Job:
    return enqueue(Job.Kind.TEXT, {"phone": phone, "text": text}, **kwargs)


def send_mail_job(data: dict, now: datetime.datetime) -> None:
    send_mail(data["subject"], data["body"], None, [data["to"]])


def send_text_job(data: dict, now: datetime.datetime) -> None:
    send_sms(data["phone"], data["text"])


# --- running -----------------------------------------------------------------------------------


def claim(now: datetime.datetime | None = None, limit: int = BATCH) -> list[int]:
    """The ids of up to ``limit`` due jobs, leased to the caller (their attempt counted)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Job.objects.filter(run_after__lte=now).order_by("run_after", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            Job.objects.filter(pk__in=ids).update(run_after=now + LEASE, attempts=F("attempts") + 1)
    return ids


def deliver_due(now: datetime.datetime | None = None) -> int:
    """Run every job that is due (those queued meanwhile too); how many succeeded."""
    done = 0
    while True:
        moment = now or timezone.now()
        ids = claim(moment)
        if not ids:
            return done
        for job in Job.objects.filter(pk__in=ids).order_by("pk"):
            done += _run(job, moment)


def waiting() -> tuple[int, datetime.datetime | None]:
    """How many jobs are queued, and when the earliest is due."""
    summary = Job.objects.aggregate(first=Min("run_after"))
    return Job.objects.count(), summary["first"]


def backoff(attempts: int) -> datetime.timedelta:
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _run(job: Job, now: datetime.datetime) -> bool:
    if job.expires_at <= now:
        logger.error(
            "%s job %s expired before it could be done (%s attempts, last error %s): dropped",
            job.kind,
            job.pk,
            job.attempts,
            job.last_error or "none",
        )
        job.delete()
        return False
    try:
        import_string(HANDLERS[job.kind])(job.data(), now)
    except Exception as exc:
        job.last_error = type(exc).__name__[:100]
        job.run_after = now + backoff(job.attempts)
        job.save(update_fields=["last_error", "run_after"])
        logger.warning(
            "%s job %s failed (attempt %s); tried again from %s",
            job.kind,
            job.pk,
            job.attempts,
            job.run_after.isoformat(timespec="seconds"),
            exc_info=True,
        )
        return False
    job.delete()
    return True


# --- the delivery thread -----------------------------------------------------------------------


class _Deliverer(threading.Thread):
    def __init__(self):
        super().__init__(name="yanpiao-delivery", daemon=True)
        self.wakeup = threading.Event()
        self.stopping = False

    def run(self):
        while not self.stopping:
            pause = POLL
            try:
                deliver_due()
                _, first = waiting()
                if first is not None:
                    pause = min(max((first - timezone.now()).total_seconds(), 0.1), POLL)
            except Exception:
                logger.exception("the delivery thread failed; it tries again in %s s", POLL)
            finally:
                connection.close()  # this thread's own connection: not held while idle
            self.wakeup.wait(pause)
            self.wakeup.clear()


_thread: _Deliverer | None = None
_thread_lock = threading.Lock()
_request = threading.local()  # in_request, wake_pending: of the request this thread is serving


def request_started(**kwargs) -> None:
    """Django's ``request_started``: jobs queued from now wait for the response to be sent."""
    _request.in_request, _request.wake_pending = True, False


def request_finished(**kwargs) -> None:
    """Django's ``request_finished`` (the response has been sent): wake the thread if a job waits."""
    pending = getattr(_request, "wake_pending", False)
    _request.in_request = _request.wake_pending = False
    if pending:
        wake()


def _wake_after_response() -> None:
    if getattr(_request, "in_request", False):
        _request.wake_pending = True
    else:  # a command, or the delivery thread itself
        wake()


def wake() -> None:
    """Start this process's delivery thread if it is not running, and have it look for jobs now."""
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():  # never started, or lost in a fork
            _thread = _Deliverer()
            _thread.start()
        _thread.wakeup.set()


def stop_thread(timeout: float = 10.0) -> None:
    """Stop the delivery thread (tests; a process that ends simply leaves its jobs queued)."""
    global _thread
    with _thread_lock:
        thread, _thread = _thread, None
    if thread is not None:
        thread.stopping = True
        thread.wakeup.set()
        thread.join(timeout)
