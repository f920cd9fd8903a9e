"""Documents of demo invoices, to try uploads on: ``yanpiao demo --documents DIR``.

For a deterministic sample of the registry, every type represented, :func:`write_sample`
writes each invoice as its issuer would hand it out: ``<stem>.pdf``, ``<stem>.ofd`` and, for a
数电票, ``<stem>.xml`` (:mod:`yanpiao.documents`), where ``<stem>`` is the 发票号码 of a 数电票 and
``<发票代码>_<发票号码>`` otherwise (8-digit numbers repeat across codes).  ``manifest.jsonl`` has
one line per file: its format, the invoice's type, code, number and registry status, and the
outcome verifying it gives (``expected``): ``authentic`` for a normal invoice, ``voided``,
``red_flushed`` or ``abnormal`` otherwise.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yanpiao.documents.einvoice_xml import render_xml
from yanpiao.documents.ofd import render_ofd
from yanpiao.documents.pdf import render_pdf
from yanpiao.fapiao import types
from yanpiao.fapiao.compare import AUTHENTIC, STATUS_OUTCOMES
from yanpiao.fapiao.invoice import Invoice
from yanpiao.registry import services as registry

MANIFEST = "manifest.jsonl"


def stem(invoice: Invoice) -> str:
    return f"{invoice.code}_{invoice.number}" if invoice.code else invoice.number


def expected_outcome(invoice: Invoice) -> str:
    """What verifying the untouched document gives: the registry status decides."""
    return STATUS_OUTCOMES.get(invoice.status, AUTHENTIC)


def rendered(invoice: Invoice) -> dict[str, bytes]:
    """The invoice's documents by format: pdf, ofd, and xml for a 数电票."""
    documents = {"pdf": render_pdf(invoice), "ofd": render_ofd(invoice)}
    if types.is_digital(invoice.type):
        documents["xml"] = render_xml(invoice)
    return documents


def write_documents(invoices: Iterable[Invoice], folder: Path) -> list[dict[str, Any]]:
    """Write the documents of each invoice and ``manifest.jsonl`` into ``folder``; returns the manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    for invoice in invoices:
        for kind, data in rendered(invoice).items():
            file = f"{stem(invoice)}.{kind}"
            (folder / file).write_bytes(data)
            manifest.append(
                {
                    "file": file,
                    "format": kind,
                    "type": invoice.type,
                    "code": invoice.code,
                    "number": invoice.number,
                    "status": invoice.status,
                    "expected": expected_outcome(invoice),
                }
            )
    with (folder / MANIFEST).open("w", encoding="utf-8") as handle:
        for entry in manifest:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return manifest


def sample_ids(rows: Iterable[tuple[int, str]], count: int, seed: int) -> list[int]:
    """``count`` ids of (id, type) rows, drawn type by type in turn so that every type appears.

    >>> sample_ids([(1, "32"), (2, "32"), (3, "10"), (4, "32")], 2, seed=1)
    [1, 3]
    """
    by_type: dict[str, list[int]] = {}
    for row_id, type_code in rows:
        by_type.setdefault(type_code, []).append(row_id)
    rng = random.Random(seed)
    queues = []
    for type_code in sorted(by_type):
        ids = sorted(by_type[type_code])
        rng.shuffle(ids)
        queues.append(ids)
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    return sorted(chosen)


def write_sample(folder: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """Documents for a deterministic sample of ``count`` registered invoices."""
    ids = sample_ids(registry.ids_and_types(), count, seed)
    return write_documents(registry.invoices_by_id(ids), folder)


__all__ = ["expected_outcome", "rendered", "sample_ids", "stem", "write_documents", "write_sample"]
