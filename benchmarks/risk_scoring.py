"""What risk scoring adds to one verification: the service with scoring on and off, side by side.

    .venv/bin/python benchmarks/risk_scoring.py [--invoices 100000] [--checks 3000] [--home DIR]

A registry of ``--invoices`` demo invoices (built once in ``--home`` and reused), a trained model
(seller profiles and a score for every invoice), and an account in an organisation that verifies
``--checks`` random registered invoices by typed fields.  The checks alternate, one with scoring
on and the next with it off (``YANPIAO_RISK_ENABLED``), so that the machine's noise falls on both
alike.  It prints the p50 and p90 of each, the difference at p50 (the target: ≤ 1 ms) and the
ratio of the two.
"""

import argparse
import random
import statistics
import time

from _setup import django_on, ensure_registry

TARGET_ADDED_P50_MS = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--home", default="/tmp/yp-risk-scoring-bench")
    args = parser.parse_args()
    django_on(args.home)
    ensure_registry(args.invoices)

    from django.conf import settings
    from django.db import connection

    from tests import factories
    from yanpiao.accounts import organisations
    from yanpiao.accounts.models import User
    from yanpiao.fapiao.compare import Query
    from yanpiao.fapiao.types import key_amount_field
    from yanpiao.registry.models import Invoice
    from yanpiao.risk import learning
    from yanpiao.verification.services import verify

    if learning.active() is None:
        started = time.perf_counter()
        learning.train()
        print(f"model trained in {time.perf_counter() - started:.1f} s")
    verifier = User.objects.active_by_login("risk-bench@example.com")
    if verifier is None:
        verifier = factories.confirmed_user(email="risk-bench@example.com")
        organisations.create_organisation("基准测试有限公司", factories.tax_id(990001), founder=verifier)
        verifier.refresh_from_db()

    rng = random.Random(5)
    top = Invoice.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, top + 1), args.checks)
    queries = []
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
    print(f"checks: {len(queries):,} random registered invoices of {top:,}, database: {connection.vendor}")

    timings: dict[bool, list[float]] = {True: [], False: []}
    for index, query in enumerate(queries):
        scoring = index % 2 == 0
        settings.YANPIAO_RISK_ENABLED = scoring
        started = time.perf_counter()
        verify(query, actor=verifier, channel="api")
        timings[scoring].append((time.perf_counter() - started) * 1000)
    settings.YANPIAO_RISK_ENABLED = True

    def quantile(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q * 100) - 1]

    on_p50, off_p50 = statistics.median(timings[True]), statistics.median(timings[False])
    print(f"scoring off: p50 {off_p50:.3f} ms, p90 {quantile(timings[False], 0.9):.3f} ms")
    print(f"scoring on:  p50 {on_p50:.3f} ms, p90 {quantile(timings[True], 0.9):.3f} ms")
    added = on_p50 - off_p50
    verdict = "met" if added <= TARGET_ADDED_P50_MS else "NOT met"
    print(
        f"added at p50: {added:.3f} ms (target ≤ {TARGET_ADDED_P50_MS} ms: {verdict}); on/off ratio {on_p50 / off_p50:.2f}"
    )


if __name__ == "__main__":
    main()
