"""Batch verification end to end, as ``yanpiao batch FILE -o RESULT --workers 2`` runs it, against
the same look-ups as one raw SQL join in the same run.

    .venv/bin/python benchmarks/batch.py [--rows 1000000] [--invoices 1000000] [--workers 2]
        [--xlsx-rows 100000] [--pdfs 1000] [--home /tmp/yp-batch-bench] [--only csv,xlsx,zip]

End to end: read and split the file, verify every row (look-up, compare, a history row each, an
audit entry per chunk), write the result file — the command in a process of its own with its
``--workers`` verifying processes.  Peak memory is each process's high-water mark (``VmHWM`` in
/proc, sampled while it runs): the command's, its workers', and their sum.  The raw path loads the
same keys into a temporary table and joins it with the registry by (code, number).

Also a 100,000-row XLSX and a ZIP of 1,000 PDFs (documents/s).  The registry (1,000,000 demo
invoices) and the input files are built once in ``--home`` and reused.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import threading
import time
import zipfile
from pathlib import Path

from _setup import ROOT, django_on, ensure_registry

HEADER = ("type", "code", "number", "issue_date", "amount", "check_code", "total")
TARGET_ROWS_PER_SECOND = 50_000
TARGET_PEAK_BYTES = 1024**3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--pdfs", type=int, default=1000)
    parser.add_argument("--home", default="/tmp/yp-batch-bench")
    parser.add_argument("--only", default="csv,xlsx,zip", help="which runs: csv, xlsx, zip")
    args = parser.parse_args()
    home = django_on(args.home)
    ensure_registry(args.invoices)
    runs = args.only.split(",")
    keys = key_rows(home, args.rows)
    if "csv" in runs:
        table = write_csv(home / f"batch-{args.rows}.csv", keys)
        seconds, peaks = run_batch(home, table, "csv", args.workers)
        raw = raw_join(keys)
        report(f"CSV, {len(keys):,} rows", len(keys), seconds, peaks, "rows", raw)
    if "xlsx" in runs:
        workbook = write_xlsx(home / f"batch-{args.xlsx_rows}.xlsx", keys[: args.xlsx_rows])
        seconds, peaks = run_batch(home, workbook, "xlsx", args.workers)
        report(f"XLSX in and out, {args.xlsx_rows:,} rows", args.xlsx_rows, seconds, peaks, "rows")
    if "zip" in runs:
        archive = write_zip(home / f"batch-{args.pdfs}-pdfs.zip", args.pdfs)
        seconds, peaks = run_batch(home, archive, "csv", args.workers)
        report(f"ZIP of {args.pdfs:,} PDFs", args.pdfs, seconds, peaks, "documents")


# --- inputs, built once ----------------------------------------------------------------------


def key_rows(home: Path, count: int) -> list[tuple[str, ...]]:
    """The key fields a verifier types for ``count`` random registered invoices (cached in ``home``)."""
    cache = home / f"keys-{count}.csv"
    if cache.exists():
        with cache.open(encoding="utf-8", newline="") as stream:
            return [tuple(row) for row in csv.reader(stream)][1:]
    from yanpiao.fapiao.types import key_amount_field
    from yanpiao.registry.models import Invoice
    from yanpiao.security.fields import decrypt

    started = time.perf_counter()
    found = Invoice.objects.order_by("id").values_list(
        "id", "type", "code", "number", "issue_date", "amount", "total", "check_code"
    )
    rows = []
    for pk, kind, code, number, issued, amount, total, check_code in found.iterator(chunk_size=10_000):
        field = key_amount_field(kind)
        row = {"type": kind, "code": code, "number": number, "issue_date": issued.isoformat()}
        if field == "check_code":
            row["check_code"] = decrypt(check_code, "registry_invoice", "check_code", pk)[-6:]
        else:
            row[field] = str(amount if field == "amount" else total)
        rows.append(tuple(row.get(name, "") for name in HEADER))
    random.Random(7).shuffle(rows)
    rows = (rows * (count // len(rows) + 1))[:count]
    with cache.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"keys: {count:,} rows built in {time.perf_counter() - started:.1f} s")
    return rows


def write_csv(path: Path, rows) -> Path:
    if not path.exists():
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(HEADER)
            writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows) -> Path:
    if not path.exists():
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("发票")
        sheet.append(list(HEADER))
        for row in rows:
            sheet.append(list(row))
        workbook.save(path)
    return path


def write_zip(path: Path, count: int) -> Path:
    """``count`` PDFs of registered invoices in a ZIP."""
    if path.exists():
        return path
    from yanpiao.documents.pdf import render_pdf
    from yanpiao.registry import services as registry

    started = time.perf_counter()
    top = registry.count_invoices()
    ids = random.Random(11).sample(range(1, top + 1), count)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in registry.invoices_by_id(ids):
            archive.writestr(f"{invoice.code}_{invoice.number}.pdf", render_pdf(invoice))
    print(f"zip: {count:,} PDFs rendered in {time.perf_counter() - started:.1f} s")
    return path


# --- the runs --------------------------------------------------------------------------------


def run_batch(home: Path, source: Path, result_format: str, workers: int) -> tuple[float, dict[int, int]]:
    """``yanpiao batch`` on ``source``: its wall time, and the peak RSS of each of its processes."""
    env = dict(os.environ, YANPIAO_HOME=str(home))
    result = home / f"result-{source.stem}.{result_format}"
    command = [
        str(ROOT / ".venv/bin/yanpiao"),
        "batch",
        str(source),
        "-o",
        str(result),
        "--workers",
        str(workers),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peaks = Peaks(process.pid)
    peaks.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    peaks.stop()
    print(output.strip())
    if process.returncode not in (0, 1):
        raise SystemExit(f"yanpiao batch failed ({process.returncode})")
    return seconds, peaks.found


def raw_join(rows) -> float:
    """Seconds to look the same keys up as one SQL join (their load into a temporary table included)."""
    from django.db import connection

    raw = connection.connection
    started = time.perf_counter()
    cursor = raw.cursor()
    cursor.execute("CREATE TEMP TABLE bench_keys (code TEXT, number TEXT)")
    cursor.executemany("INSERT INTO bench_keys VALUES (?, ?)", ((row[1], row[2]) for row in rows))
    cursor.execute(
        "SELECT count(*), count(DISTINCT i.id) FROM bench_keys k"
        " JOIN registry_invoice i ON i.code = k.code AND i.number = k.number"
    )
    matched, distinct = cursor.fetchone()
    seconds = time.perf_counter() - started
    cursor.execute("DROP TABLE bench_keys")
    print(f"raw join: {matched:,} of {len(rows):,} keys found ({distinct:,} invoices)")
    return seconds


class Peaks(threading.Thread):
    """Samples VmHWM (peak resident memory) of a process and its descendants until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.found, self.running = pid, {}, True

    def run(self) -> None:
        while self.running:
            for pid in [self.pid, *descendants(self.pid)]:
                peak = high_water(pid)
                if peak:
                    self.found[pid] = max(self.found.get(pid, 0), peak)
            time.sleep(0.1)

    def stop(self) -> None:
        self.running = False
        self.join()


def descendants(pid: int) -> list[int]:
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found += [child, *descendants(child)]
    return found


def high_water(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def report(what: str, count: int, seconds: float, peaks: dict[int, int], unit: str, raw: float | None = None):
    rate = count / seconds
    parent, *children = peaks.values() if peaks else (0,)
    print(f"== {what}: {seconds:.1f} s end to end, {rate:,.0f} {unit}/s")
    print(
        f"   peak RSS: command {parent / 1e6:,.0f} MB, workers "
        f"{', '.join(f'{peak / 1e6:,.0f}' for peak in children) or '-'} MB; together {sum(peaks.values()) / 1e6:,.0f} MB"
    )
    if raw is not None:
        print(
            f"   raw SQL join: {count / raw:,.0f} {unit}/s ({raw:.1f} s); raw/end-to-end {count / raw / rate:.1f}x"
        )
        print(
            f"   targets: ≥ {TARGET_ROWS_PER_SECOND:,} rows/s "
            f"({'met' if rate >= TARGET_ROWS_PER_SECOND else 'NOT met'}), peak ≤ 1 GB "
            f"({'met' if sum(peaks.values()) <= TARGET_PEAK_BYTES else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
