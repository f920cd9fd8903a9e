"""Filling the registry with demo invoices: :func:`fill` generates and registers them in batches.

The invoices come from :mod:`yanpiao.demo.generator` and go in through the registry's bulk
registration (:class:`yanpiao.registry.services.BulkRegistration`): each batch in one
transaction, with its audit entry, like every other change of the registry.  Big fills
generate in a second process while this one writes.  Numbers continue above those already
registered (:func:`issued_numbers`), so a second fill never collides with the first.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

from yanpiao.demo.catalogue import BEIJING, DIGITAL_CHANNEL
from yanpiao.demo.generator import GeneratorProcess, IssuedNumbers, can_fork, generate
from yanpiao.fapiao.invoice import Invoice
from yanpiao.registry import services as registry

PARALLEL_FROM = 50_000  # below this, starting the generator process costs more than it saves
BATCH_SIZE = 10_000


@dataclass
class DemoSummary:
    """What :func:`fill` wrote and how long it took.

    ``generate_seconds`` is the time the writer spent getting invoices (generating them, or
    waiting for and rebuilding them when a second process generates); ``process_seconds`` is the
    CPU time of that second process.
    """

    count: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    generate_seconds: float = 0.0
    write_seconds: float = 0.0
    process_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.generate_seconds + self.write_seconds

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def add(self, invoices: list[Invoice]) -> None:
        self.count += len(invoices)
        self.by_type.update(inv.type for inv in invoices)
        self.by_status.update(inv.status for inv in invoices)

    def __str__(self) -> str:
        by_type = " ".join(f"{t}:{self.by_type[t]}" for t in sorted(self.by_type))
        by_status = " ".join(f"{s}:{self.by_status[s]}" for s in sorted(self.by_status))
        return (
            f"{self.count:,} demo invoices in {self.seconds:.1f} s ({self.rate:,.0f}/s); "
            f"types {by_type}; statuses {by_status}"
        )


def issued_numbers() -> IssuedNumbers:
    """The highest numbers in the registry that demo numbers could collide with."""
    digital = registry.highest_digital_sequence(
        rf"^[0-9]{{2}}{BEIJING}{DIGITAL_CHANNEL}[0-9]{{15}}$", start=6
    )
    return IssuedNumbers(int(digital or 0), registry.highest_numbers_by_code())


def fill(
    count: int,
    seed: int,
    end_date: datetime.date,
    batch_size: int = BATCH_SIZE,
    parallel: bool | None = None,
) -> DemoSummary:
    """Generate ``count`` invoices and register them, each batch in its own transaction.

    ``parallel`` generates in a second (forked) process; by default for ``PARALLEL_FROM`` or more.
    """
    summary = DemoSummary()
    started = time.perf_counter()
    issued = issued_numbers()
    if parallel is None:
        parallel = count >= PARALLEL_FROM and can_fork()
    process = GeneratorProcess(count, seed, end_date, issued) if parallel else None
    invoices = process.invoices() if process else generate(count, seed, end_date, issued)
    summary.write_seconds += time.perf_counter() - started
    try:
        with registry.BulkRegistration(reason="demo") as registration:
            while True:
                started = time.perf_counter()
                batch = list(itertools.islice(invoices, batch_size))
                summary.generate_seconds += time.perf_counter() - started
                if not batch:
                    break
                started = time.perf_counter()
                registration.write(batch)
                summary.write_seconds += time.perf_counter() - started
                summary.add(batch)
    finally:
        if process:
            process.close()
            summary.process_seconds = process.seconds
    return summary


__all__ = ["DemoSummary", "fill", "issued_numbers"]
