"""The verify endpoint of the HTTP API under load, beside a trivial endpoint of the same server.

    .venv/bin/python benchmarks/api_load.py [--invoices 3000] [--clients 16] [--requests 8000]
        [--seconds 15] [--warmup 400] [--workers 2] [--anonymous] [--home DIR]

Sets up a YANPIAO_HOME (a fresh temporary folder unless --home; SQLite there, or the database
DATABASE_URL names), migrates, fills a demo registry (``yanpiao demo``), exports it (``yanpiao
export``), creates a taxpayer account with a ``verify`` token, and starts ``yanpiao serve
--workers 2`` on a free loopback port, with the per-invoice daily limit and the API and
anonymous throttles raised so that the load is never refused (they are still counted: the
counting's writes are part of what is measured).  Then, with 16 clients on HTTP/1.1 keep-alive
connections, after a warm-up of each endpoint:

- ``GET /api/v1/ping`` — the trivial endpoint: the same middleware and NinjaAPI stack, no
  authentication, no database;
- ``POST /api/v1/verifications`` — typed key fields of registered invoices (80% authentic as
  typed, the others with a wrong amount field or an unregistered number, and whatever status
  the demo invoice has), with the bearer token (``--anonymous``: without);
- ``GET /healthz`` — for reference: outside the API, one ``SELECT 1``.

Each is bounded by a count of requests and by seconds, whichever ends first.  Printed: requests/s,
p50 and p99 latency, the ratio of verify to the trivial endpoint, and whether the targets hold
(verify at least 40% of the trivial endpoint's requests/s, verify p99 at most 50 ms).  The load
generator is one asyncio process writing raw HTTP/1.1 on the same 2 cores as the server: its
own CPU use is printed too.  The server is stopped at the end, always.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _setup import ROOT, django_on

TARGET_RATIO = 0.40
TARGET_P99_MS = 50.0
END_DATE = "2026-06-30"
# Raised for the load run: one account verifies the same few thousand invoices all along.
RAISED_LIMITS = {
    "YANPIAO_CHECKS_PER_INVOICE_PER_DAY": "1000000000",
    "YANPIAO_API_REQUESTS_PER_MINUTE": "1000000000",
    "YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE": "1000000000",
    "YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE": "1000000000",
    "YANPIAO_ANONYMOUS_CHECKS_PER_DAY": "1000000000",
}
OUTCOME = re.compile(rb'"outcome":\s*"(\w+)"')


def yanpiao(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "yanpiao"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, check=True, **kwargs)


def verify_bodies(exported: Path, count: int, seed: int = 5) -> list[bytes]:
    """JSON bodies of typed key fields: 80% as registered, 10% a wrong amount field, 10% not registered."""
    from yanpiao.fapiao.types import key_amount_field

    invoices = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(seed)
    bodies = []
    for invoice in rng.sample(invoices, min(count, len(invoices))):
        field = key_amount_field(invoice["type"])
        value = invoice["check_code"][-6:] if field == "check_code" else invoice[field]
        fields = {"number": invoice["number"], "issue_date": invoice["issue_date"], field: value}
        if invoice["code"]:
            fields["code"] = invoice["code"]
        draw = rng.random()
        if draw < 0.1:  # a wrong amount, total or check code: mismatch
            fields[field] = "000000" if field == "check_code" else "1.00"
        elif draw < 0.2:  # a number nobody issued: not found
            fields["number"] = fields["number"][:-3] + "999"
        bodies.append(json.dumps(fields).encode())
    return bodies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit {process.returncode}); see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and its workers (the process group it leads)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # a worker that outlived the main process
        os.killpg(process.pid, signal.SIGKILL)


def requests_of(
    method: str, path: str, port: int, bodies: list[bytes] | None, token: str | None
) -> list[bytes]:
    """Raw HTTP/1.1 requests (keep-alive is HTTP/1.1's default)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: yanpiao-api-load\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if bodies is None:
        return [(head + "\r\n").encode()]
    return [
        (head + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        for body in bodies
    ]


async def _client(port: int, requests: list[bytes], offset: int, state: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while state["left"] > 0 and time.perf_counter() < state["deadline"]:
            state["left"] -= 1
            request = requests[index % len(requests)]
            index += 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head).group(1))
            body = await reader.readexactly(length) if length else b""
            state["latencies"].append(time.perf_counter() - started)
            status = int(head[9:12])
            state["statuses"][status] = state["statuses"].get(status, 0) + 1
            found = OUTCOME.search(body)
            if found:
                outcome = found.group(1).decode()
                state["outcomes"][outcome] = state["outcomes"].get(outcome, 0) + 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], clients: int, count: int, seconds: float) -> dict:
    state = {
        "left": count,
        "deadline": time.perf_counter() + seconds,
        "latencies": [],
        "statuses": {},
        "outcomes": {},
    }
    cpu, started = time.process_time(), time.perf_counter()
    step = max(1, len(requests) // clients)
    await asyncio.gather(*(_client(port, requests, i * step, state) for i in range(clients)))
    state["seconds"] = time.perf_counter() - started
    state["client_cpu"] = (time.process_time() - cpu) / state["seconds"]
    return state


def load(port: int, requests: list[bytes], clients: int, count: int, seconds: float) -> dict:
    """``count`` requests (or ``seconds``, whichever ends first) from ``clients`` keep-alive connections."""
    state = asyncio.run(_load(port, requests, clients, count, seconds))
    latencies = sorted(state.pop("latencies"))
    done = len(latencies)

    def percentile(p: float) -> float:
        return latencies[min(done - 1, int(p / 100 * done))] * 1000

    return {
        **state,
        "requests": done,
        "rate": done / state["seconds"],
        "p50": percentile(50),
        "p99": percentile(99),
    }


def report(name: str, result: dict, baseline: dict | None) -> None:
    ratio = f"{result['rate'] / baseline['rate']:6.2f}" if baseline else "     —"
    statuses = " ".join(f"{status}:{n}" for status, n in sorted(result["statuses"].items()))
    print(
        f"{name:36} {result['requests']:7,d} {result['seconds']:6.1f} {result['rate']:8,.0f} "
        f"{result['p50']:7.1f} {result['p99']:7.1f} {ratio} {result['client_cpu'] * 100:5.0f}%  {statuses}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=3000, help="demo registry size (default 3000)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=8000, help="per endpoint, at most")
    parser.add_argument("--seconds", type=float, default=15.0, help="per endpoint, at most")
    parser.add_argument("--warmup", type=int, default=400, help="requests per endpoint before measuring")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="serve --threads (default: serve's)")
    parser.add_argument("--anonymous", action="store_true", help="verify without a token")
    parser.add_argument("--home", help="YANPIAO_HOME to use (default: a temporary folder, removed after)")
    args = parser.parse_args()

    home = django_on(args.home)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["YANPIAO_HOME"] = str(home)
    from django.db import connection

    print(f"YANPIAO_HOME {home}; database: {connection.vendor}; {os.cpu_count()} CPUs")
    from yanpiao.registry.models import Invoice

    if not args.home and Invoice.objects.exists():
        raise SystemExit(
            "the database already holds invoices, encrypted with the keys of another YANPIAO_HOME: "
            "give that folder with --home, or an empty database"
        )
    yanpiao(
        "demo",
        "--invoices",
        str(args.invoices),
        "--end-date",
        END_DATE,
        "--users",
        "0",
        "--if-empty",
        env=environment,
    )
    exported = home / "bench-export.jsonl"
    yanpiao("export", "--output", str(exported), env=environment, stderr=subprocess.DEVNULL)
    bodies = verify_bodies(exported, 2000)
    token = None
    if not args.anonymous:
        from yanpiao.accounts import tokens
        from yanpiao.accounts.models import Role, User

        login = "api-load@bench.example"
        user = User.objects.find_by_login(login) or User.objects.create(email=login, role=Role.TAXPAYER)
        token = tokens.create_token(user, "api-load benchmark", ["verify"])[1]
    connection.close()

    port = free_port()
    server_env = {**environment, **RAISED_LIMITS}
    print(
        "limits raised for the load run (server environment): "
        + ", ".join(f"{name}={value}" for name, value in RAISED_LIMITS.items())
    )
    log_path = home / "bench-serve.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "yanpiao"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            *(["--threads", str(args.threads)] if args.threads else []),
        ],
        env=server_env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz", process)
        print(
            f"server: yanpiao serve --workers {args.workers} (granian, WSGI) at {base}; "
            f"load generator: one asyncio process, raw HTTP/1.1 keep-alive, {args.clients} connections, "
            f"on the same machine; at most {args.requests:,} requests or {args.seconds:.0f} s per endpoint, "
            f"after {args.warmup} warm-up requests each"
        )
        print(
            f"verify: {len(bodies):,} distinct bodies of the demo registry ({args.invoices:,} invoices), "
            + ("anonymous" if args.anonymous else "bearer token (scope verify) of a taxpayer account")
        )
        endpoints = {
            "trivial  GET /api/v1/ping": requests_of("GET", "/api/v1/ping", port, None, None),
            "verify   POST /api/v1/verifications": requests_of(
                "POST", "/api/v1/verifications", port, bodies, token
            ),
            "(ref.)   GET /healthz": requests_of("GET", "/healthz", port, None, None),
        }
        for requests in endpoints.values():
            load(port, requests, args.clients, args.warmup, 60)
        results = {}
        print()
        print(
            f"{'endpoint':36} {'requests':>7} {'s':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'client CPU':>6}  statuses"
        )
        for name, requests in endpoints.items():
            results[name] = load(port, requests, args.clients, args.requests, args.seconds)
            report(
                name,
                results[name],
                None if name.startswith("trivial") else results["trivial  GET /api/v1/ping"],
            )
        trivial, verify = results["trivial  GET /api/v1/ping"], results["verify   POST /api/v1/verifications"]
        print(f"verify outcomes: {dict(sorted(verify['outcomes'].items()))}")
        ratio = verify["rate"] / trivial["rate"]
        errors = sum(n for status, n in verify["statuses"].items() if status != 200)
        print(
            f"targets: verify/trivial requests/s {ratio:.2f} (≥ {TARGET_RATIO:.2f}: {'yes' if ratio >= TARGET_RATIO else 'NO'}); "
            f"verify p99 {verify['p99']:.1f} ms (≤ {TARGET_P99_MS:.0f} ms: {'yes' if verify['p99'] <= TARGET_P99_MS else 'NO'}); "
            f"non-200 answers to verify: {errors}"
        )
        if any(status >= 500 for result in results.values() for status in result["statuses"]):
            errors_logged = [
                line for line in log_path.read_text(errors="replace").splitlines() if "Error" in line
            ]
            print("server errors (last lines of its log with 'Error'):", *errors_logged[-5:], sep="\n  ")
    finally:
        stop(process)
        log.close()
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
