"""A ``yanpiao serve`` of the fault tests' own, in a process of its own, and plain HTTP calls to it
that report what came back (or the error) instead of raising."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from dataclasses import dataclass

from tests.support.loopback import free_port
from tests.support.processes import fresh_environment

# A typed check of an invoice that is not in the registry: the API answers 200 "not_found" after
# looking it up in the database.
CHECK = {"number": "24112000000299999999", "issue_date": "2024-10-05", "total": "100.00"}
UNLIMITED = {  # the fault tests drive many checks from one address
    "YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE": "0",
    "YANPIAO_ANONYMOUS_CHECKS_PER_DAY": "0",
    "YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE": "0",
    "YANPIAO_CHECKS_PER_INVOICE_PER_DAY": "0",
    "YANPIAO_GUARD_ALLOW": "127.0.0.1/32",  # a trusted network: its checks of unknown invoices are no enumeration
}


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    body: str
    headers: dict
    error: str = ""


def call(port: int, method: str, path: str, payload: dict | None = None, timeout: float = 10) -> Answer:
    body = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"} if body else {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, text, {k.lower(): v for k, v in response.getheaders()})
    except OSError as error:
        return Answer(0, "", {}, f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def serve(home, database_url: str | None = None, **settings: str) -> tuple[subprocess.Popen, int]:
    """Start ``yanpiao serve`` on a free port; return once ``/healthz`` answers 200."""
    port = free_port()
    env = fresh_environment(home, database_url, **UNLIMITED, **settings)
    # Its log to a file: a pipe nobody reads fills up, and the server stops at its next log line.
    log = (home.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log = home.parent / f"serve-{port}.log"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"yanpiao serve ended: {process.log.read_text()}")
        if call(port, "GET", "/healthz", timeout=2).status == 200:
            return process, port
        time.sleep(0.2)
    process.kill()
    raise AssertionError("yanpiao serve did not answer within 120 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
