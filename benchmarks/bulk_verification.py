"""Set-wise verification throughput (verify_many, the hot path of batches) against raw SQL in the same run.

    .venv/bin/python benchmarks/bulk_verification.py [--invoices 1000000] [--rows 20000] [--home DIR]

verify_many on chunks of 1,000 and of 5,000 rows of registered invoices typed as a verifier types
them (the amount field the platform asks for the type), by a signed-in account so that the
per-invoice daily limit is counted: validation, the set-wise registry read, the comparison, the
history rows masked at rest, one audit entry per chunk.  The baseline is the same look-ups as one
raw SQL join per 500 keys through the driver (as find_many reads them), for as many other invoices.  CPU time is printed beside the wall time: on a
shared machine it is the steadier figure.  A --home that already holds the registry is reused
(building 1,000,000 invoices takes minutes).
"""

import argparse
import random
import time
import uuid

from _setup import django_on, ensure_registry

CHUNKS = (1000, 5000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument(
        "--rows", type=int, default=20_000, help="rows per chunk size (each a distinct invoice)"
    )
    parser.add_argument("--home", help="YANPIAO_HOME to use (reused if it holds the registry)")
    args = parser.parse_args()
    django_on(args.home)
    ensure_registry(args.invoices)

    from django.db import connection

    from yanpiao.accounts.models import User
    from yanpiao.batches.rows import InputRow
    from yanpiao.fapiao.invoice import format_amount
    from yanpiao.fapiao.types import key_amount_field
    from yanpiao.registry.models import Invoice
    from yanpiao.verification.bulk import verify_many

    rng = random.Random()
    top = Invoice.objects.order_by("-id").values_list("id", flat=True).first()
    # rows for each chunk size, as many for its baseline (other invoices: no page is read warm), a warm-up
    ids = rng.sample(range(1, top + 1), min(top, 2 * args.rows * len(CHUNKS) + max(CHUNKS)))
    rows = []
    # Through the model: the check code is stored encrypted and decrypts on access.
    for invoice in Invoice.objects.filter(id__in=ids).only(
        "type", "code", "number", "issue_date", "amount", "total", "check_code"
    ):
        field = key_amount_field(invoice.type)
        value = invoice.check_code[-6:] if field == "check_code" else format_amount(getattr(invoice, field))
        fields = {
            "code": invoice.code,
            "number": invoice.number,
            "issue_date": invoice.issue_date.isoformat(),
        }
        rows.append(InputRow(number=len(rows) + 1, fields={**fields, field: value}))
    rng.shuffle(rows)
    # A new account each run: each invoice is checked once, far below its daily limit.
    actor = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:12]}@example.com")
    print(f"rows: {len(rows):,} random registered invoices, database: {connection.vendor}")

    warm_up, rows = rows[: max(CHUNKS)], rows[max(CHUNKS) :]
    verify_many(warm_up, actor, batch="warm-up")
    raw = connection.connection  # the DB-API connection under Django's
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    for size in CHUNKS:
        chunks = [rows[start : start + size] for start in range(0, args.rows, size)]
        baseline = [rows[start : start + size] for start in range(args.rows, 2 * args.rows, size)]
        rows = rows[2 * args.rows :]
        outcomes: dict[str, int] = {}
        started, cpu = time.perf_counter(), time.process_time()
        for number, chunk in enumerate(chunks):
            for result in verify_many(chunk, actor, batch=f"bench-{size}-{number}"):
                outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        service_seconds, service_cpu = time.perf_counter() - started, time.process_time() - cpu

        started, cpu = time.perf_counter(), time.process_time()
        for chunk in baseline:
            cursor = raw.cursor()
            for start in range(0, len(chunk), 500):
                part = chunk[start : start + 500]
                values = ", ".join([f"({placeholder}, {placeholder})"] * len(part))
                cursor.execute(
                    "SELECT i.id, i.type, i.issue_date, i.amount, i.check_code, i.total, i.status"
                    f" FROM (VALUES {values}) AS k"
                    " JOIN registry_invoice i ON i.code = k.column1 AND i.number = k.column2",
                    [part for r in part for part in (r.fields["code"], r.fields["number"])],
                )
                cursor.fetchall()
            cursor.close()
        raw.commit()
        raw_seconds, raw_cpu = time.perf_counter() - started, time.process_time() - cpu

        count = sum(len(chunk) for chunk in chunks)
        print(f"chunks of {size:,}: outcomes {outcomes}")
        for name, seconds, cpu in (
            ("verify_many()", service_seconds, service_cpu),
            ("raw SQL join", raw_seconds, raw_cpu),
        ):
            print(
                f"  {name:14} {count / seconds:9,.0f} rows/s  ({seconds * 1e6 / count:5.1f} µs each;"
                f" {cpu * 1e6 / count:5.1f} µs of CPU)"
            )
        print(
            f"  ratio raw/verify_many: {service_seconds / raw_seconds:.1f}x"
            f" (CPU: {service_cpu / raw_cpu:.1f}x)"
        )


if __name__ == "__main__":
    main()
