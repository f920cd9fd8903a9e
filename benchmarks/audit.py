"""Benchmark: audited verifications per second with writers in parallel, beside the same inserts unaudited.

Each of ``--writers`` processes makes ``--rows`` transactions of what a verification writes: one
history row (``verification.services.history_values`` / ``insert_history``, the real hot path)
and, audited, its audit entry (``audit.record``).  Four runs of the same work, one after the
other on the same database: without audit; audited with a lane held by each connection
(``YANPIAO_AUDIT_HELD_LANES``, the default on PostgreSQL); audited with shared lanes taken per
transaction (``YANPIAO_AUDIT_LANES``, 16 by default); audited with one lane (the single lock of
before).  Prints rows/s of each and the audited/unaudited ratios; then, when ``pgbench`` is on
the PATH, the database's own ceiling for transactions of one and of two inserts (the shapes of an
unaudited and an audited check, with no application in between); then verifies the whole log.

    createdb -h 127.0.0.1 -U postgres yp_auditbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yp_auditbench \\
        .venv/bin/python benchmarks/audit.py --writers 8 --rows 1000
"""

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess  # nosec B404  # pgbench, the database's own client, for its ceiling
import sys
import tempfile
import time

from _setup import django_on

# mode -> (YANPIAO_AUDIT_LANES, YANPIAO_AUDIT_HELD_LANES); None: no audit; 0 lanes: the default (16)
MODES = {"unaudited": None, "held lanes": (0, 32), "shared lanes": (0, 0), "one lane": (1, 0)}


def write(mode: str, rows: int, start, done) -> None:
    """One writer process: ``rows`` transactions, each one history row (and its audit entry)."""
    from django.conf import settings
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from yanpiao import dbapi
    from yanpiao.risk.assessment import NONE
    from yanpiao.security import audit
    from yanpiao.verification import services
    from yanpiao.verification.models import Verification, new_public_id

    connections.close_all()  # never a connection inherited from the parent
    audited = MODES[mode] is not None
    if audited:
        settings.YANPIAO_AUDIT_LANES, settings.YANPIAO_AUDIT_HELD_LANES = MODES[mode]
    submitted = {"code": "011001900111", "number": "12345678", "date": "2026-06-01", "check": "123456"}
    connection.ensure_connection()
    start.wait()
    began = time.perf_counter()
    for n in range(rows):
        public_id = new_public_id()
        row = services.history_values(
            timezone.now(), [(public_id, None, "cli", submitted, "not_found", (), (), None, "")]
        )
        with dbapi.serialized_writes(), transaction.atomic():
            services.insert_history(services.with_risk(row, [NONE]))
            if audited:
                audit.record(
                    audit.Action.VERIFICATION_CREATE,
                    None,
                    audit.target(Verification, public_id),
                    {"outcome": "not_found", "channel": "cli", "invoice_id": None, "n": n},
                )
    done.put(time.perf_counter() - began)
    connections.close_all()


def run(mode: str, writers: int, rows: int) -> float:
    """Rows per second of ``writers`` processes writing at once (from a common start to the last done)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(writers + 1), context.Queue()
    processes = [context.Process(target=write, args=(mode, rows, start, done)) for _ in range(writers)]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    if any(process.exitcode for process in processes):
        sys.exit(f"a writer of the {mode} run failed")
    return writers * rows / elapsed


# The database's own ceiling: transactions of one and of two single-row inserts (the shapes of an
# unaudited and an audited check) by pgbench, C clients with no application in between.
PGBENCH_TABLE = "benchmark_audit_ceiling"
PGBENCH_SCRIPTS = {
    "one insert": f"INSERT INTO {PGBENCH_TABLE} (v) VALUES ('history');\n",
    "two inserts": f"BEGIN;\nINSERT INTO {PGBENCH_TABLE} (v) VALUES ('history');\n"
    f"INSERT INTO {PGBENCH_TABLE} (v) VALUES ('audit');\nCOMMIT;\n",
}


def pgbench_ceiling(clients: int, seconds: int) -> dict[str, float] | None:
    """Transactions per second of each :data:`PGBENCH_SCRIPTS` with ``clients`` pgbench clients on
    the benchmark's database; None without pgbench or PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql" or shutil.which("pgbench") is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PGBENCH_TABLE} (id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), v text)"
        )
    url = os.environ["DATABASE_URL"]
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, script in PGBENCH_SCRIPTS.items():
            path = os.path.join(folder, "script.sql")
            with open(path, "w") as file:
                file.write(script)
            command = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", path, url]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # nosec B603  # a fixed command line
            rates[name] = float(re.search(r"tps = ([\d.]+)", output)[1])
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {PGBENCH_TABLE}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000, help="transactions per writer (1000)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each mode, best kept (2)")
    parser.add_argument("--home", help="YANPIAO_HOME (a fresh temporary folder by default)")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("note: DATABASE_URL is not PostgreSQL; SQLite has one writer at a time", file=sys.stderr)
    django_on(options.home)
    from django.conf import settings
    from django.db import connection

    from yanpiao.security import audit, keys

    keys.master_key()  # created here, if it is to be, not by eight writers at once
    audit.signing_key()
    best = dict.fromkeys(MODES, 0.0)
    for round in range(options.rounds):
        for mode in MODES:
            rate = run(mode, options.writers, options.rows)
            best[mode] = max(best[mode], rate)
            print(f"round {round + 1}  {mode:<10} {rate:>9,.0f} rows/s", flush=True)
    lanes = settings.YANPIAO_AUDIT_LANES or audit.lanes()
    print(
        f"\n{connection.vendor}, {options.writers} writer processes x {options.rows} transactions, "
        f"best of {options.rounds}, {os.cpu_count()} CPUs"
    )
    print(f"  without audit            {best['unaudited']:>9,.0f} rows/s")
    for mode, label in (
        ("held lanes", "audited, a lane held each"),
        ("shared lanes", f"audited, {lanes} shared lanes"),
        ("one lane", "audited, 1 lane (one lock)"),
    ):
        print(
            f"  {label:<24} {best[mode]:>9,.0f} rows/s  ({best[mode] / best['unaudited']:.0%} of unaudited)"
        )
    ceiling = pgbench_ceiling(options.writers, 8)
    if ceiling:
        one, two = ceiling["one insert"], ceiling["two inserts"]
        print(f"the database alone (pgbench, {options.writers} clients, 8 s each):")
        print(f"  one insert a transaction {one:>9,.0f} tps")
        print(f"  two inserts              {two:>9,.0f} tps  ({two / one:.0%} of one)")
    began = time.perf_counter()
    report = audit.verify()
    print(f"verify: {report.summary()} in {time.perf_counter() - began:.1f} s")
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
