"""A folder of rendered documents with the outcome each should get: test material for the verifier.

For every invoice :func:`write_documents` writes

* ``<stem>.pdf``, ``<stem>.ofd``, ``<stem>.xml`` (数电票 only) and ``<stem>.jpg`` (a simulated photo);
* ``<stem>.tampered.pdf`` and ``<stem>.tampered.ofd``: one printed non-key field changed, the QR
  code left as issued, and ``<stem>.tampered.json`` naming the field with both values;

where ``<stem>`` is the 发票号码 of a 数电票 and ``<发票代码>_<发票号码>`` otherwise (8-digit numbers
repeat across codes).  ``manifest.jsonl`` has one line per document: its file, format, the
invoice's type, code and number, its registry status and the ``expected`` outcome — ``authentic``
or ``tampered`` (with ``field``) for a normal invoice; ``voided``, ``red_flushed`` or ``abnormal``
otherwise, since the registry status decides before the content does (fapiao.compare).

:func:`write_registry_sample` picks a deterministic sample of the registry, every type
represented, and writes it (``yanpiao demo --documents DIR``).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yanpiao.fapiao import types
from yanpiao.fapiao.compare import AUTHENTIC, STATUS_OUTCOMES, TAMPERED
from yanpiao.fapiao.invoice import Invoice, to_json
from yanpiao.registry.render import layout, tamper
from yanpiao.registry.render.einvoice_xml import render_xml
from yanpiao.registry.render.ofd import render_ofd
from yanpiao.registry.render.pdf import render_pdf
from yanpiao.registry.render.photo import simulate_photo

MANIFEST = "manifest.jsonl"


def stem(invoice: Invoice) -> str:
    return f"{invoice.code}_{invoice.number}" if invoice.code else invoice.number


def invoice_seed(seed: int, invoice: Invoice) -> int:
    """A seed of its own for each invoice, so that a document does not depend on its neighbours."""
    digest = hashlib.sha256(f"{seed}:{invoice.type}:{invoice.code}:{invoice.number}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def expected_outcome(invoice: Invoice, tampered: bool) -> str:
    return STATUS_OUTCOMES.get(invoice.status) or (TAMPERED if tampered else AUTHENTIC)


def write_documents(invoices: Iterable[Invoice], folder: Path, seed: int) -> list[dict[str, Any]]:
    """Write the documents of each invoice and ``manifest.jsonl`` into ``folder``; returns the manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    for invoice in invoices:
        manifest.extend(_write_invoice(invoice, folder, invoice_seed(seed, invoice)))
    with (folder / MANIFEST).open("w", encoding="utf-8") as handle:
        for entry in manifest:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return manifest


def _write_invoice(invoice: Invoice, folder: Path, seed: int) -> list[dict[str, Any]]:
    name = stem(invoice)
    pdf = render_pdf(invoice)
    documents = {"pdf": pdf, "ofd": render_ofd(invoice)}
    if types.is_digital(invoice.type):
        documents["xml"] = render_xml(invoice)
    documents["jpg"] = simulate_photo(pdf, seed)
    entries = []
    for kind, data in documents.items():
        (folder / f"{name}.{kind}").write_bytes(data)
        entries.append(_entry(invoice, f"{name}.{kind}", kind, expected_outcome(invoice, tampered=False)))

    copy, path = tamper.tamper(invoice, seed)
    payload = layout.qr_payload(invoice)
    sidecar = {
        "code": invoice.code,
        "number": invoice.number,
        "field": path,
        "registered": tamper.get(to_json(invoice), path),
        "tampered": tamper.get(to_json(copy), path),
    }
    (folder / f"{name}.tampered.json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n")
    for kind, data in (("pdf", render_pdf(copy, payload)), ("ofd", render_ofd(copy, payload))):
        file = f"{name}.tampered.{kind}"
        (folder / file).write_bytes(data)
        entry = _entry(invoice, file, kind, expected_outcome(invoice, tampered=True))
        entry.update(field=path, sidecar=f"{name}.tampered.json")
        entries.append(entry)
    return entries


def _entry(invoice: Invoice, file: str, kind: str, expected: str) -> dict[str, Any]:
    return {
        "file": file,
        "format": kind,
        "type": invoice.type,
        "code": invoice.code,
        "number": invoice.number,
        "status": invoice.status,
        "expected": expected,
    }


# --- from the registry -----------------------------------------------------------------------------


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


def write_registry_sample(folder: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """Documents for a deterministic sample of ``count`` registered invoices."""
    from yanpiao.registry import convert, models

    rows = models.Invoice.objects.order_by("id").values_list("id", "type").iterator(chunk_size=10_000)
    ids = sample_ids(rows, count, seed)
    invoices = convert.load_invoices(convert.invoice_rows().filter(id__in=ids))
    return write_documents(invoices, folder, seed)


__all__ = ["expected_outcome", "sample_ids", "stem", "write_documents", "write_registry_sample"]
