"""The API under mixed traffic at rising concurrency, on loopback: req/s, p50/p99 and errors per step.

    .venv/bin/python benchmarks/load.py [--invoices 3000] [--steps 1,2,4,8,16,32] [--seconds 10]
        [--web 2] [--workers 2] [--threads T] [--home DIR]

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yp_load YANPIAO_REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python benchmarks/load.py

Set-up as ``benchmarks/api_load.py`` (whose helpers it reuses): a YANPIAO_HOME (a temporary folder
unless --home; SQLite there, or DATABASE_URL's database, with Redis for the task queue when
YANPIAO_REDIS_URL is set), a demo registry, a taxpayer account with a token (scopes verify,
history:read, batch), the daily and API limits raised so that the load is never refused (still
counted), and the request guard left on as it is (its ordinary traffic must pass unblocked: the
run reports any 403).  Then ``yanpiao serve --workers W`` (granian, WSGI) and
``yanpiao worker`` processes beside it, so the batches submitted are verified while the load runs.

Each client is an HTTP/1.1 keep-alive connection sending, in a fixed shuffled order:

- 50% typed     ``POST /api/v1/verifications`` (80% authentic, 10% wrong amount, 10% unknown number)
- 20% QR        ``POST /api/v1/verifications/qr`` (the invoice's standard payload)
- 10% upload    ``POST /api/v1/verifications/files`` (multipart: a QR-text document)
- 15% history   ``GET  /api/v1/verifications?limit=20`` (the account's history, newest first)
-  5% batch     ``POST /api/v1/batches`` (a CSV of 20 rows; the workers verify it meanwhile)

At each step (a number of concurrent clients) the load runs ``--seconds``; printed: requests,
req/s, p50 and p99 latency in ms, the error rate (any answer but 2xx, or a broken connection) and
per kind the p99.  Target: zero errors below saturation, and p99 ≤ 100 ms at the highest step that
keeps zero errors.  The load generator is one asyncio process on the same cores as the server: its
CPU share is printed.  The server and workers are stopped at the end, always.
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT, django_on
from api_load import END_DATE, RAISED_LIMITS, free_port, stop, verify_bodies, wait_for, yanpiao

TARGET_P99_MS = 100.0
MIX = {"typed": 50, "qr": 20, "upload": 10, "history": 15, "batch": 5}
BOUNDARY = "yanpiao-load-boundary"
BATCH_ROWS = 20
LOAD_LIMITS = RAISED_LIMITS


def multipart(field: str, name: str, content_type: str, data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def request(
    method: str, path: str, port: int, token: str, body: bytes | None = None, kind: str = "json"
) -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: yanpiao-load\r\n"
        f"Authorization: Bearer {token}\r\n"
    )
    if body is None:
        return (head + "\r\n").encode()
    content_type = "application/json" if kind == "json" else f"multipart/form-data; boundary={BOUNDARY}"
    return (head + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def traffic(
    exported: Path, port: int, token: str, count: int = 4000, seed: int = 7
) -> list[tuple[str, bytes]]:
    """``count`` requests of the mix, shuffled: (kind, raw request)."""
    from yanpiao.fapiao import qr
    from yanpiao.registry.models import Invoice

    rng = random.Random(seed)
    typed = verify_bodies(exported, 2000, seed)
    payloads = [qr.of_invoice(invoice) for invoice in Invoice.objects.order_by("?")[:2000]]
    keys = [json.loads(body) for body in typed]
    columns = ["发票代码", "发票号码", "开票日期", "金额", "校验码", "价税合计"]

    def batch_csv() -> bytes:
        lines = [",".join(columns)]
        for fields in rng.sample(keys, BATCH_ROWS):
            lines.append(
                ",".join(
                    fields.get(name, "")
                    for name in ("code", "number", "issue_date", "amount", "check_code", "total")
                )
            )
        return ("\n".join(lines) + "\n").encode()

    makers = {
        "typed": lambda: request("POST", "/api/v1/verifications", port, token, rng.choice(typed)),
        "qr": lambda: request(
            "POST",
            "/api/v1/verifications/qr",
            port,
            token,
            json.dumps({"payload": rng.choice(payloads)}).encode(),
        ),
        "upload": lambda: request(
            "POST",
            "/api/v1/verifications/files",
            port,
            token,
            multipart("files", "invoice-qr.txt", "text/plain", rng.choice(payloads).encode()),
            "multipart",
        ),
        "history": lambda: request("GET", "/api/v1/verifications?limit=20", port, token),
        "batch": lambda: request(
            "POST",
            "/api/v1/batches",
            port,
            token,
            multipart("file", "batch.csv", "text/csv", batch_csv()),
            "multipart",
        ),
    }
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [(kind, makers[kind]()) for kind in kinds]


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if length:
        await reader.readexactly(int(length.group(1)))
    elif re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return int(head[9:12])


async def _client(port: int, requests: list, offset: int, deadline: float, state: dict) -> None:
    index = offset
    reader = writer = None
    while time.perf_counter() < deadline:
        kind, raw = requests[index % len(requests)]
        index += 1
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            status = await asyncio.wait_for(_answer(reader), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            status = 0  # a broken connection: an error; reconnect
            if writer is not None:
                writer.close()
            reader = writer = None
        state["samples"].append((kind, time.perf_counter() - started, status))
    if writer is not None:
        writer.close()


async def _step(port: int, requests: list, clients: int, seconds: float) -> dict:
    state = {"samples": []}
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + seconds
    spacing = max(1, len(requests) // clients)
    await asyncio.gather(*(_client(port, requests, i * spacing, deadline, state) for i in range(clients)))
    state["seconds"] = time.perf_counter() - started
    state["client_cpu"] = (time.process_time() - cpu) / state["seconds"]
    return state


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else float("nan")


def step(port: int, requests: list, clients: int, seconds: float) -> dict:
    state = asyncio.run(_step(port, requests, clients, seconds))
    samples = state["samples"]
    errors = [s for s in samples if not 200 <= s[2] < 300]
    return {
        "clients": clients,
        "requests": len(samples),
        "rate": len(samples) / state["seconds"],
        "p50": percentile([s[1] for s in samples], 50),
        "p99": percentile([s[1] for s in samples], 99),
        "errors": len(errors),
        "error_rate": len(errors) / max(1, len(samples)),
        "statuses": sorted({s[2] for s in errors}),
        "kinds": {kind: percentile([s[1] for s in samples if s[0] == kind], 99) for kind in MIX},
        "client_cpu": state["client_cpu"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=3000, help="demo registry size (default 3000)")
    parser.add_argument("--steps", default="1,2,4,8,16,32", help="concurrent clients per step")
    parser.add_argument("--seconds", type=float, default=10.0, help="per step")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the first step")
    parser.add_argument("--web", type=int, default=2, help="web processes (serve --workers)")
    parser.add_argument("--workers", type=int, default=2, help="`yanpiao worker` processes")
    parser.add_argument("--threads", type=int, help="request threads per web process (serve --threads)")
    parser.add_argument("--home", help="YANPIAO_HOME to use (default: a temporary folder, removed after)")
    args = parser.parse_args()
    steps = [int(n) for n in args.steps.split(",")]

    home = django_on(args.home)
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["YANPIAO_HOME"] = str(home)
    from django.conf import settings
    from django.db import connection

    queue = "Redis (RQ)" if settings.YANPIAO_REDIS_URL else "the database"
    print(f"YANPIAO_HOME {home}; database: {connection.vendor}; task queue: {queue}; {os.cpu_count()} CPUs")
    from yanpiao.registry.models import Invoice

    if not args.home and Invoice.objects.exists():
        raise SystemExit(
            "the database already holds invoices of another YANPIAO_HOME: give --home, or an empty database"
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
    exported = home / "load-export.jsonl"
    yanpiao("export", "--output", str(exported), env=environment, stderr=subprocess.DEVNULL)
    from yanpiao.accounts import tokens
    from yanpiao.accounts.models import Role, User

    login = "load@bench.example"
    user = User.objects.find_by_login(login) or User.objects.create(email=login, role=Role.TAXPAYER)
    token = tokens.create_token(user, "load benchmark", ["verify", "history:read", "batch"])[1]
    port = free_port()
    requests = traffic(exported, port, token)
    connection.close()

    server_env = {**environment, **LOAD_LIMITS}
    print("server environment for the run: " + ", ".join(f"{k}={v}" for k, v in LOAD_LIMITS.items()))
    log = (home / "load-serve.log").open("w")
    command = str(Path(sys.executable).parent / "yanpiao")
    processes = [
        subprocess.Popen(
            [command, "serve", "--port", str(port), "--workers", str(args.web)]
            + (["--threads", str(args.threads)] if args.threads else []),
            env=server_env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ]
    for _ in range(args.workers):
        processes.append(
            subprocess.Popen(
                [command, "worker"], env=server_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", processes[0])
        print(
            f"server: yanpiao serve --workers {args.web}{f' --threads {args.threads}' if args.threads else ''} "
            f"+ {args.workers} × yanpiao worker; "
            f"mix {', '.join(f'{k} {v}%' for k, v in MIX.items())}; {args.seconds:.0f} s per step"
        )
        step(port, requests, max(steps), args.warmup)
        print()
        print(
            f"{'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}  "
            + " ".join(f"{'p99 ' + kind:>11}" for kind in MIX)
            + "  client CPU"
        )
        results = []
        for clients in steps:
            result = step(port, requests, clients, args.seconds)
            results.append(result)
            statuses = f" {result['statuses']}" if result["errors"] else ""
            print(
                f"{clients:7d} {result['requests']:8,d} {result['rate']:7,.0f} {result['p50']:7.1f} "
                f"{result['p99']:7.1f} {result['error_rate'] * 100:6.2f}%  "
                + " ".join(f"{result['kinds'][kind]:11.1f}" for kind in MIX)
                + f"  {result['client_cpu'] * 100:5.0f}%{statuses}",
                flush=True,
            )
        clean = [r for r in results if r["errors"] == 0]
        if not clean:
            print("target: NO step without errors")
        else:
            top = max(clean, key=lambda r: r["clients"])
            best = max(results, key=lambda r: r["rate"])
            print(
                f"target: highest step with zero errors: {top['clients']} clients, {top['rate']:,.0f} req/s, "
                f"p99 {top['p99']:.1f} ms (≤ {TARGET_P99_MS:.0f} ms: {'yes' if top['p99'] <= TARGET_P99_MS else 'NO'}); "
                f"errors below saturation: {'none' if all(r['errors'] == 0 for r in results if r['rate'] < best['rate'] * 0.95) else 'SOME'}; "
                f"peak {best['rate']:,.0f} req/s at {best['clients']} clients"
            )
        from yanpiao.batches.models import Batch

        done = Batch.objects.values_list("status", flat=True)
        print(
            f"batches submitted: {len(done)}; by status: {dict(sorted(__import__('collections').Counter(done).items()))}"
        )
    finally:
        for process in processes:
            stop(process)
        log.close()
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
