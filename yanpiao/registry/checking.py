"""Checking the records of an invoice file before import: parsed, validated, prepared.

This is the CPU-heavy half of an import (JSON, the strict invoice JSON parser, validation,
the content hash, the row values) and it needs nothing from the database; so for big files it runs in
worker processes while the importing process writes what they have checked.  The records
come back in file order either way, and a file of a few thousand lines never starts a process.
"""

from __future__ import annotations

import collections
import datetime
import itertools
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from yanpiao import children
from yanpiao.fapiao import validation
from yanpiao.fapiao.findings import errors
from yanpiao.fapiao.invoice import InvoiceFormatError, from_json
from yanpiao.registry.bulk import Prepared, prepare
from yanpiao.registry.jsonio import Record

CHUNK = 500  # records handed to a worker at a time
AHEAD = 4  # chunks in flight per worker: enough to keep them busy, few enough to bound memory
IN_PROCESS_FIRST = 5_000  # records checked before starting workers (small files need none)


@dataclass(frozen=True)
class Checked:
    """A record of the file, checked: the invoice prepared for writing, or why it was refused."""

    line: int
    invoice: Prepared | None = None
    error: str = ""


def describe(problems) -> str:
    """Error findings as one line: ``field: message; field: message``."""
    return "; ".join(f"{f.field}: {f.message}" for f in problems)


def check(record: Record, on: datetime.date) -> Checked:
    """Parse, validate and prepare one record; ``on`` is the day against which dates are judged."""
    record.parse()
    if record.error:
        return Checked(record.line, error=record.error)
    try:
        invoice = from_json(record.data)
    except InvoiceFormatError as exc:
        return Checked(record.line, error=str(exc))
    problems = errors(validation.validate_invoice(invoice, on))
    if problems:
        return Checked(record.line, error=describe(problems))
    return Checked(record.line, prepare(invoice))


def _check_lines(lines: list[tuple[int, str]], on: datetime.date) -> list[tuple]:
    """In a worker: JSON Lines records checked, as plain tuples (cheaper to send back)."""
    checked = (check(Record(line, text=text), on) for line, text in lines)
    return [(c.line, c.invoice, c.error) for c in checked]


def check_all(records: Iterable[Record], on: datetime.date, workers: int = 0) -> Iterator[Checked]:
    """Every record checked, in file order; past the first few thousand, by ``workers`` processes.

    Only JSON Lines go to workers: a JSON array has been parsed whole before it gets here.
    """
    records = iter(records)
    first = list(itertools.islice(records, IN_PROCESS_FIRST))
    lines = bool(first) and first[-1].text is not None  # not yet parsed: JSON Lines
    yield from (check(record, on) for record in first)
    if not (workers > 0 and lines and "fork" in multiprocessing.get_all_start_methods()):
        yield from (check(record, on) for record in records)
        return
    # Forked workers inherit the database connection, and never touch it.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, context, initializer=children.end_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending = collections.deque()
        for lines in iter(lambda: [(r.line, r.text) for r in itertools.islice(records, CHUNK)], []):
            pending.append(pool.submit(_check_lines, lines, on))
            if len(pending) >= AHEAD * workers:
                yield from (Checked(*fields) for fields in pending.popleft().result())
        while pending:
            yield from (Checked(*fields) for fields in pending.popleft().result())
