"""Import and export throughput of invoice JSON.

    .venv/bin/python benchmarks/import_export.py [--invoices 100000] [--workers N]

Generates demo invoices into a JSON Lines file, imports them into an empty registry (a fresh
temporary YANPIAO_HOME), re-imports the same file (all no-ops), and exports the registry.
``--workers`` is the number of processes checking records (default: YANPIAO_IMPORT_WORKERS).
"""

import argparse
import datetime
import io
import tempfile
import time
from pathlib import Path

from _setup import django_on


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    django_on(None)

    from django.conf import settings

    from yanpiao.demo.generator import generate
    from yanpiao.registry import jsonio, services

    path = Path(tempfile.mkdtemp()) / "invoices.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        jsonio.write_lines(generate(args.invoices, seed=3, end_date=datetime.date(2026, 6, 30)), stream)
    workers = settings.YANPIAO_IMPORT_WORKERS if args.workers is None else args.workers
    print(
        f"file: {args.invoices:,} invoices, {path.stat().st_size / 1e6:.1f} MB; checking workers: {workers}"
    )

    for label in ("import into empty registry", "re-import (all unchanged)"):
        started = time.perf_counter()
        with path.open(encoding="utf-8") as stream:
            report = services.import_file(stream, on=datetime.date(2026, 6, 30), workers=workers)
        seconds = time.perf_counter() - started
        print(
            f"{label}: {seconds:.1f} s, {report.lines / seconds:,.0f} invoices/s "
            f"(added {report.added:,}, unchanged {report.unchanged:,}, rejected {len(report.rejected):,})"
        )
    started = time.perf_counter()
    out = io.StringIO()
    count = services.export_file(out)
    seconds = time.perf_counter() - started
    print(f"export: {seconds:.1f} s, {count / seconds:,.0f} invoices/s")


if __name__ == "__main__":
    main()
