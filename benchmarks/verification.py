"""Verification throughput of the service, with history recording, against raw SQL in the same run.

    .venv/bin/python benchmarks/verification.py [--invoices 1000000] [--checks 5000] [--home DIR]

The service path: validate the query, look the invoice up by (code, number), load its parties
and lines, compare, and insert a history row.  The raw path: the same indexed SELECT of the
invoice row and the same INSERT into the history table through sqlite3/psycopg directly; then,
as the least a check that reveals the invoice must read, the look-up's own statement (the invoice
with its parties and lines) and the same INSERT.
A --home that already holds the registry is reused (building 1,000,000 invoices takes minutes).
"""

import argparse
import json
import random
import time
import uuid

from _setup import django_on, ensure_registry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--home", help="YANPIAO_HOME to use (reused if it holds the registry)")
    args = parser.parse_args()
    django_on(args.home)
    ensure_registry(args.invoices)

    from django.db import connection
    from django.utils import timezone

    from yanpiao import dbapi
    from yanpiao.fapiao.compare import Query
    from yanpiao.fapiao.types import key_amount_field
    from yanpiao.registry import lookup
    from yanpiao.registry.models import Invoice
    from yanpiao.verification.models import Verification
    from yanpiao.verification.services import verify

    rng = random.Random(7)
    top = Invoice.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, top + 1), args.checks)
    queries = []
    # Through the model: the check code is stored encrypted and decrypts on access.
    for row in Invoice.objects.filter(id__in=ids).only(
        "type", "code", "number", "issue_date", "amount", "total", "check_code"
    ):
        field = key_amount_field(row.type)
        value = row.check_code[-6:] if field == "check_code" else str(getattr(row, field))
        queries.append(
            Query.from_fields(
                code=row.code, number=row.number, issue_date=row.issue_date.isoformat(), **{field: value}
            )
        )
    print(f"checks: {len(queries):,} random registered invoices, database: {connection.vendor}")

    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for query in queries:
        outcome = verify(query, channel="cli").outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    service_seconds = time.perf_counter() - started
    print(f"outcomes: {outcomes}")

    select = "SELECT id, type, issue_date, amount, check_code, total, status FROM registry_invoice WHERE code = %s AND number = %s"
    insert = (
        "INSERT INTO verification_verification (public_id, channel, created_at, submitted, outcome, differences, findings, invoice_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    raw = connection.connection  # the DB-API connection under Django's
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    select, insert = select.replace("%s", placeholder), insert.replace("%s", placeholder)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    started = time.perf_counter()
    for query in queries:
        cursor = raw.cursor()
        cursor.execute(select, (query.code, query.number))
        row = cursor.fetchone()
        public_id = uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4()
        cursor.execute(
            insert, (public_id, "cli", now, json.dumps(query.to_json()), "authentic", "[]", "[]", row[0])
        )
        raw.commit()
    raw_seconds = time.perf_counter() - started

    # What a check must read at least to answer: an authentic result shows the invoice with its
    # parties and lines, which the service reads in one statement (registry.lookup); the same
    # statement and insert, without decrypting, comparing or anything else.
    whole = dbapi.sql(lookup.INVOICE_SQL.format(also_columns="", also_joins=""))
    started = time.perf_counter()
    for query in queries:
        cursor = raw.cursor()
        cursor.execute(whole, (query.code, query.number))
        row = cursor.fetchall()[0]
        public_id = uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4()
        cursor.execute(
            insert, (public_id, "cli", now, json.dumps(query.to_json()), "authentic", "[]", "[]", row[0])
        )
        raw.commit()
    whole_seconds = time.perf_counter() - started

    service_rate = len(queries) / service_seconds
    raw_rate = len(queries) / raw_seconds
    whole_rate = len(queries) / whole_seconds
    print(
        f"service verify(): {service_rate:8,.0f} verifications/s  ({service_seconds * 1e6 / len(queries):.0f} µs each)"
    )
    print(f"raw SQL lookup+insert: {raw_rate:8,.0f} /s  ({raw_seconds * 1e6 / len(queries):.0f} µs each)")
    print(
        f"raw SQL lookup with parties and lines+insert: {whole_rate:8,.0f} /s  ({whole_seconds * 1e6 / len(queries):.0f} µs each)"
    )
    print(
        f"ratio raw/service: {raw_rate / service_rate:.1f}x (service at {service_rate / raw_rate:.0%});"
        f"  with parties and lines: {whole_rate / service_rate:.1f}x (service at {service_rate / whole_rate:.0%});"
        f"  history rows: {Verification.objects.count():,}"
    )


if __name__ == "__main__":
    main()
