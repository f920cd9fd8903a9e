"""History export throughput and memory: CSV and XLSX of N verifications, against a bare read.

    .venv/bin/python benchmarks/history_export.py [--rows 100000] [--invoices 2000] [--home DIR]

Builds N history rows (bulk inserts: 70 % revealing outcomes linked to registered invoices, the
rest mismatch, not_found and invalid, from five members of one organisation, spread over a year),
then exports all of them as an auditor sees them (parties masked) with
:class:`yanpiao.history.export.Export`, CSV to a null sink and XLSX to a temporary file.  The
baseline is a bare ``values_list`` iteration of the same rows with ``iterator(chunk_size=2000)``.

Each is run twice: once timed (rows/s), once under ``tracemalloc`` for the peak of Python
allocations, which must not grow with N (the export reads in chunks and writes as it goes).
A --home that already holds the rows is reused.
"""

import argparse
import datetime
import random
import time
import tracemalloc
import uuid

from _setup import django_on, ensure_registry


def build(rows: int, seed: int = 11) -> None:
    from django.utils import timezone

    from yanpiao.accounts import organisations
    from yanpiao.accounts.models import Role, User
    from yanpiao.registry.models import Invoice
    from yanpiao.verification.models import Verification

    have = Verification.objects.count()
    if have >= rows:
        print(f"history: {have:,} rows already there")
        return
    started = time.perf_counter()
    company = organisations.create_organisation("基准测试公司")
    actors = [
        User.objects.create_user(email=f"bench{n}-{uuid.uuid4().hex[:6]}@example.com", organisation=company)
        for n in range(5)
    ]
    if not User.objects.filter(role=Role.AUDITOR).exists():
        User.objects.create_user(email="bench-auditor@example.com", role=Role.AUDITOR)
    invoices = list(Invoice.objects.values_list("id", "type", "code", "number", "issue_date", "total"))
    rng = random.Random(seed)
    now = timezone.now()
    batch = []
    for _ in range(rows - have):
        invoice_id, kind, code, number, issue_date, total = rng.choice(invoices)
        roll = rng.random()
        outcome = (
            "authentic"
            if roll < 0.7
            else "mismatch"
            if roll < 0.85
            else "not_found"
            if roll < 0.95
            else "invalid"
        )
        submitted = {
            "code": code,
            "number": number,
            "issue_date": issue_date.isoformat(),
            "total": str(total),
        }
        batch.append(
            Verification(
                actor=rng.choice(actors),
                channel=rng.choice(("web", "api", "cli", "qr")),
                created_at=now - datetime.timedelta(seconds=rng.randrange(365 * 86400)),
                submitted=submitted,
                outcome=outcome,
                differences=[{"field": "total", "submitted": "1.00", "registered": None}]
                if outcome == "mismatch"
                else [],
                invoice_id=invoice_id if outcome in ("authentic", "mismatch") else None,
                invoice_type=kind if outcome != "invalid" else "",
            )
        )
        if len(batch) == 5000:
            Verification.objects.bulk_create(batch)
            batch = []
    Verification.objects.bulk_create(batch)
    print(f"history: built {rows - have:,} rows in {time.perf_counter() - started:.1f} s")


def measure(label: str, run, rows: int, baseline: float | None = None) -> float:
    """Time ``run`` (returns the rows it wrote), then run it again under tracemalloc for the peak."""
    started = time.perf_counter()
    written = run()
    seconds = time.perf_counter() - started
    assert written == rows, (label, written, rows)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = rows / seconds
    ratio = f"  {baseline / rate:6.1f}x the baseline's time" if baseline else ""
    print(f"{label:<34} {rate:10,.0f} rows/s  {seconds:6.2f} s  peak {peak / 1e6:6.1f} MB (traced){ratio}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--home", help="YANPIAO_HOME to use (reused if it holds the rows)")
    args = parser.parse_args()
    django_on(args.home)
    ensure_registry(args.invoices)
    build(args.rows)

    import resource
    import shutil
    import tempfile

    from django.db import connection

    from yanpiao.accounts.models import Role, User
    from yanpiao.history import export
    from yanpiao.history.filters import HistoryFilter
    from yanpiao.verification.models import Verification

    auditor = User.objects.filter(role=Role.AUDITOR).first()
    rows = Verification.objects.count()
    print(f"rows: {rows:,}, database: {connection.vendor}, viewer: an auditor (everyone's rows, masked)")

    def bare() -> int:
        count = 0
        for _ in (
            Verification.objects.order_by("-created_at", "-id")
            .values_list("public_id", "created_at", "outcome", "submitted")
            .iterator(chunk_size=export.CHUNK_SIZE)
        ):
            count += 1
        return count

    def csv_export() -> int:
        job = export.Export(auditor, HistoryFilter(), "csv", channel="cli")
        size = sum(len(piece) for piece in job.csv())
        assert size > 0
        return job.rows_written

    def xlsx_export() -> int:
        job = export.Export(auditor, HistoryFilter(), "xlsx", channel="cli")
        with job.xlsx() as handle, tempfile.TemporaryFile() as sink:
            shutil.copyfileobj(handle, sink)  # as a response streams it
        return job.rows_written

    baseline = measure("baseline: values_list iteration", bare, rows)
    measure("CSV export (streamed)", csv_export, rows, baseline)
    measure("XLSX export (openpyxl write-only)", xlsx_export, rows, baseline)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {peak_rss:,.0f} MB (build and every run included)")


if __name__ == "__main__":
    main()
