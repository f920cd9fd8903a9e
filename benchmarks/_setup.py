"""Shared set-up of the benchmark scripts: a Django environment on a chosen YANPIAO_HOME."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on(home: str | None) -> Path:
    """Point Yanpiao at ``home`` (a fresh temporary folder when None), set Django up and migrate."""
    path = Path(home) if home else Path(tempfile.mkdtemp(prefix="yanpiao-bench-"))
    os.environ["YANPIAO_HOME"] = str(path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanpiao.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from yanpiao.cli import prepare_database

    prepare_database()
    return path


def ensure_registry(count: int, seed: int = 1) -> None:
    """Fill the registry with ``count`` demo invoices unless it already holds that many."""
    import datetime
    import time

    from yanpiao.demo import fill
    from yanpiao.registry.models import Invoice

    have = Invoice.objects.count()
    if have >= count:
        print(f"registry: {have:,} invoices already there")
        return
    started = time.perf_counter()
    fill.fill(count - have, seed=seed, end_date=datetime.date(2026, 6, 30))
    print(f"registry: filled {count - have:,} demo invoices in {time.perf_counter() - started:.1f} s")
