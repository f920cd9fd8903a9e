"""Throughput of the demo generator: generate and insert invoices into a fresh SQLite registry.

    .venv/bin/python benchmarks/demo.py [--invoices 1000000] [--seed 1] [--keep]

Runs ``yanpiao.demo.fill.fill`` into a new temporary YANPIAO_HOME and prints the total time, invoices per
second, and how it splits between getting invoices (generated in a second process for big
fills, so this is mostly rebuilding them from compact records) and writing them (BulkWriter:
parties, content hashes, rows, SQLite).  Then, on a sample, it times generation alone in this
process, and the two per-invoice costs that dominate: BulkWriter's content hash and the 大写
words (``amount_words.to_words``).
"""

import argparse
import datetime
import itertools
import shutil
import time

from _setup import django_on

END_DATE = datetime.date(2026, 6, 30)
SAMPLE = 50_000


def microseconds_each(function, values) -> float:
    started = time.perf_counter()
    for value in values:
        function(value)
    return (time.perf_counter() - started) / len(values) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary YANPIAO_HOME")
    args = parser.parse_args()
    home = django_on(None)

    from yanpiao.demo.fill import fill
    from yanpiao.demo.generator import generate
    from yanpiao.fapiao import amount_words
    from yanpiao.registry.convert import content_hash
    from yanpiao.registry.models import Invoice, Item

    print(f"registry: {home} (SQLite)")
    summary = fill(args.invoices, seed=args.seed, end_date=END_DATE)
    each = 1e6 / summary.count
    where = (
        f"generated in a second process ({summary.process_seconds:.1f} s of its CPU)"
        if summary.process_seconds
        else "generated in this process"
    )
    print(f"fill: {summary.count:,} invoices in {summary.seconds:.1f} s, {summary.rate:,.0f} invoices/s")
    print(
        f"  getting invoices: {summary.generate_seconds:6.1f} s ({summary.generate_seconds * each:.0f} µs each), {where}"
    )
    print(f"  writing them:     {summary.write_seconds:6.1f} s ({summary.write_seconds * each:.0f} µs each)")
    print(f"rows: {Invoice.objects.count():,} invoices, {Item.objects.count():,} lines")
    size = sum(path.stat().st_size for path in home.glob("yanpiao.sqlite3*"))
    print(f"database: {size / 1e6:,.0f} MB")

    started = time.perf_counter()
    sample = list(itertools.islice(generate(SAMPLE, seed=args.seed, end_date=END_DATE), SAMPLE))
    generating = (time.perf_counter() - started) / SAMPLE * 1e6
    print(f"sample of {SAMPLE:,}, per invoice:")
    print(f"  generating alone (in this process):   {generating:5.0f} µs")
    print(f"  content_hash (part of writing):       {microseconds_each(content_hash, sample):5.0f} µs")
    words = microseconds_each(amount_words.to_words, [inv.total for inv in sample])
    print(f"  amount_words.to_words (uncached):     {words:5.0f} µs")
    if args.keep:
        print(f"kept {home}")
    else:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
