"""Does the time a password-reset request takes tell whether the address is registered?

    .venv/bin/python benchmarks/reset_timing.py [--requests 300] [--home DIR] [--in-process]

POSTs ``/accounts/password/reset/`` for a registered e-mail address and an unknown one, and for
a registered phone number and an unknown one, in a shuffled order, and prints the median time of
each (with the quartiles, for the noise) and the ratio of the medians, existing / unknown.

By default the requests go over HTTP to ``yanpiao serve`` (granian) on a free local port, as an
outsider would time them; ``--in-process`` uses Django's test client instead (no server, but
the test client's own work after the response then competes with the delivery thread).  The
queued work that follows a registered address (the link or code, the mail or text message)
runs in the delivery thread; the script waits for the queue to be empty before the next
request, so that one request's work does not slow the next down.  The limits are raised out of
the way (their counters are still kept, as in production).
"""

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from _setup import django_on

RESET = "/accounts/password/reset/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HttpClient:
    """Keep-alive HTTP to the server, with its CSRF cookie and token."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        page = self.request("GET", RESET)
        self.token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()

    def request(self, method: str, path: str, body: str | None = None) -> bytes:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        assert response.status in (200, 302), (response.status, data[:300])
        return data

    def post(self, login: str) -> None:
        self.request(
            "POST", RESET, urllib.parse.urlencode({"login": login, "csrfmiddlewaretoken": self.token})
        )


def serve(port: int) -> subprocess.Popen:
    yanpiao = Path(sys.executable).with_name("yanpiao")
    server = subprocess.Popen(
        [str(yanpiao), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("yanpiao serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument("--home", help="YANPIAO_HOME to use (default: a fresh temporary folder)")
    parser.add_argument("--in-process", action="store_true", help="Django's test client, no server")
    args = parser.parse_args()
    for name in ("YANPIAO_RESET_ADDRESS_LIMIT", "YANPIAO_RESET_DESTINATION_LIMIT"):
        os.environ[name] = str(10 * args.requests)
    os.environ.setdefault("YANPIAO_DELIVERY", "thread")
    django_on(args.home)

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from yanpiao.accounts import delivery
    from yanpiao.accounts.models import Job, User
    from yanpiao.accounts.services import create_account

    if User.objects.find_by_login("bench.user@example.com") is None:
        create_account(email="bench.user@example.com", phone="13800138000", password="bench password 2026")
    logins = {
        ("email", "existing"): "bench.user@example.com",
        ("email", "unknown"): "nobody.here@example.com",
        ("phone", "existing"): "13800138000",
        ("phone", "unknown"): "13900139000",
    }
    server = None
    if args.in_process:
        test_client = Client(REMOTE_ADDR="192.0.2.10")

        def post(login: str) -> None:
            assert test_client.post(RESET, {"login": login}).status_code in (200, 302)
    else:
        port = free_port()
        server = serve(port)
        post = HttpClient(port).post

    def settle() -> None:
        if settings.YANPIAO_DELIVERY != "thread":
            delivery.deliver_due()
            return
        deadline = time.monotonic() + 10
        while Job.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.01)  # the thread's last queries after the queue emptied

    def timed(login: str) -> float:
        started = time.perf_counter()
        post(login)
        elapsed = time.perf_counter() - started
        settle()
        return elapsed

    try:
        for login in logins.values():  # warm up: caches, counters' rows, the delivery thread
            for _ in range(3):
                timed(login)
        order = [key for key in logins for _ in range(args.requests)]
        random.Random(9).shuffle(order)
        times: dict = {key: [] for key in logins}
        for key in order:
            times[key].append(timed(logins[key]))
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(30)

    print(
        f"reset requests: {args.requests} of each kind, "
        f"{'in process' if args.in_process else 'over HTTP to yanpiao serve'}, "
        f"database: {connection.vendor}, delivery: {settings.YANPIAO_DELIVERY}"
    )

    def spread(values: list[float]) -> str:
        low, _, high = statistics.quantiles(values, n=4)
        return f"{statistics.median(values) * 1000:6.2f} ms (p25-p75 {low * 1000:.2f}-{high * 1000:.2f})"

    for kind in ("email", "phone"):
        existing, unknown = times[(kind, "existing")], times[(kind, "unknown")]
        ratio = statistics.median(existing) / statistics.median(unknown)
        print(f"{kind:5}  existing {spread(existing)}   unknown {spread(unknown)}   ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
