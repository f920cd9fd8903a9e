"""PostgreSQL restarted under load: while it is down the site answers 503 (never a 500, never a
dropped connection), and once it is back every answer is right again without restarting the
site.  The test restarts the cluster of DATABASE_URL (``pg_ctlcluster``), so it runs only when
CI allows it with YANPIAO_FAULT_TESTS=1."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connections

from tests.faults import servers

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="needs DATABASE_URL on PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="needs pg_ctlcluster"),
    pytest.mark.skipif(
        os.environ.get("YANPIAO_FAULT_TESTS") != "1", reason="restarts PostgreSQL: set YANPIAO_FAULT_TESTS=1"
    ),
]
DOWN_SECONDS = 1.5


def cluster() -> tuple[str, str]:
    """(version, name) of the local cluster that listens on DATABASE_URL's port."""
    port = str(urlsplit(DATABASE_URL).port or 5432)
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True)
    for line in listed.stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return version, name
    pytest.skip(f"no local cluster listens on port {port}")


def pg_ctlcluster(action: str) -> None:
    version, name = cluster()
    extra = ["-m", "fast"] if action == "stop" else []
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *extra], check=True)


@pytest.fixture
def database():
    """A database of the test's own on DATABASE_URL's server, dropped afterwards; this process's
    own connections are closed after the restart (theirs died with it)."""
    name = f"yp_faults_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(DATABASE_URL)
    url = parts._replace(path=f"/{name}").geturl()
    admin = parts._replace(path="/postgres").geturl()
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield url
    for wrapper in connections.all():
        try:
            wrapper.close()
        except DatabaseError:
            wrapper.connection = None
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True
    )


class Load:
    """Threads that check invoices through the API and open the home page (which counts the
    registry) without pause, keeping when each call was sent and what came back."""

    def __init__(self, port: int, threads: int = 3):
        self.port = port
        self.answers: list[tuple[float, servers.Answer]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.drive, args=(i,)) for i in range(threads)]

    def drive(self, index: int) -> None:
        while self.running:
            sent = time.monotonic()
            if index % 2:
                answer = servers.call(self.port, "GET", "/")
            else:
                answer = servers.call(self.port, "POST", "/api/v1/verifications", servers.CHECK)
            self.answers.append((sent, answer))
            time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=30)


def test_the_site_answers_503_while_postgresql_restarts_and_recovers_by_itself(tmp_path, database):
    process, port = servers.serve(tmp_path / "home", database)
    try:
        with Load(port) as load:
            time.sleep(1.0)
            down = time.monotonic()
            pg_ctlcluster("stop")
            time.sleep(DOWN_SECONDS)
            pg_ctlcluster("start")
            up = time.monotonic()
            time.sleep(2.0)
        alive = process.poll() is None
    finally:
        servers.stop(process)
    assert alive, "the site was not restarted and kept running"
    before = [answer for sent, answer in load.answers if sent < down]
    during = [answer for sent, answer in load.answers if down <= sent < up]
    after = [answer for sent, answer in load.answers if sent >= up]
    assert before and during and after
    assert {answer.status for answer in before + after} == {200}, [
        (answer.status, answer.error, answer.body[:200]) for answer in after if answer.status != 200
    ]
    assert {answer.status for answer in during} <= {200, 503}, [
        (answer.status, answer.error, answer.body[:200])
        for answer in during
        if answer.status not in (200, 503)
    ]
    unavailable = [answer for answer in during if answer.status == 503]
    assert unavailable, "no request met the database down"
    assert all(answer.headers.get("retry-after") and "Traceback" not in answer.body for answer in unavailable)
