"""Fixtures of the alert tests: auditors, a mailbox on loopback (aiosmtpd), a webhook receiver on
loopback (http.server in a thread), and running the tasks a worker would run."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from tests.support.loopback import smtp_server
from yanpiao.accounts.models import Role


@pytest.fixture
def auditor(make_user):
    return make_user(role=Role.AUDITOR, email="shen.ji@example.com")


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN, email="guan.li@example.com")


@pytest.fixture
def taxpayer(make_user):
    return make_user(role=Role.TAXPAYER, email="na.shui@example.com")


@pytest.fixture
def smtp(settings):
    """Mail leaves as it is queued, to an SMTP server on loopback."""
    with smtp_server(settings) as mailbox:
        yield mailbox


class Receiver:
    """What a department's system received: each request's headers and body; it answers the
    statuses of ``answers`` in turn (200 once they run out)."""

    def __init__(self):
        self.requests = []
        self.answers = []
        self.url = ""

    def next_status(self) -> int:
        return self.answers.pop(0) if self.answers else 200

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 (a real HTTP server in a thread)."""
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append((dict(self.headers), body))
            status = received.next_status()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/yanpiao"
    yield received
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker():
    """Run the tasks that are due as ``yanpiao worker --once`` does (django-tasks-db's worker:
    claim, run, record), in the test's transaction: without the worker's connection housekeeping,
    which would close it.  ``worker(later=True)`` first lets the clock pass every waiting task's
    ``run_after``."""
    runner = db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name=db_worker.DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )

    def _run(later: bool = False) -> None:
        if later:
            DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        while True:
            with transaction.atomic():  # the lock's (a transactional test has no transaction of its own)
                found = DBTaskResult.objects.ready().filter(queue_name="default").get_locked()
                if found is None:
                    return
                found.claim(runner.worker_id)
            runner.run_task(found)

    return _run
