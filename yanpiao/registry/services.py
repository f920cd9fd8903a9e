"""Registry services: issue (register), void, flag and look up invoices; import and export them.

Every channel (CLI, web, API, demo) changes the registry through these functions, so the
same rules hold everywhere: an invoice is validated by the core before it is stored; a
red-letter invoice must reverse an existing invoice and moves it to ``red_flushed`` or
``partially_red_flushed``; every status change is kept in the invoice's history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from yanpiao.fapiao import validation
from yanpiao.fapiao.findings import Finding, errors
from yanpiao.fapiao.invoice import Invoice, InvoiceFormatError, InvoiceKey, from_json
from yanpiao.registry import jsonio, lookup, models
from yanpiao.registry.bulk import BulkWriter
from yanpiao.registry.convert import content_hash, invoice_rows, load_invoices
from yanpiao.registry.models import Status


class RegistryError(Exception):
    """A registry change was refused; the message says why."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()):
        super().__init__(message)
        self.findings = list(findings)


def today() -> datetime.date:
    return timezone.localdate()


# --- look-ups ----------------------------------------------------------------------------


def find_row(key: InvoiceKey) -> models.Invoice | None:
    """The registered invoice row with this code and number (seller, buyer, original loaded)."""
    return invoice_rows().filter(code=key.code, number=key.number).first()


def get_invoice(key: InvoiceKey) -> Invoice | None:
    registered = lookup.find(key)
    return registered.invoice if registered else None


def count_invoices() -> int:
    return models.Invoice.objects.count()


def status_history(invoice_id: int) -> list[dict]:
    """The status changes of a registered invoice, oldest first."""
    return [
        {
            "status": change.status,
            "previous_status": change.previous_status,
            "reason": change.reason,
            "changed_at": change.changed_at.isoformat(),
        }
        for change in models.StatusChange.objects.filter(invoice_id=invoice_id)
    ]


# --- status changes ------------------------------------------------------------------------

# Which statuses each status may move to (the authority may flag any live invoice).
TRANSITIONS = {
    Status.NORMAL: {Status.VOIDED, Status.ABNORMAL, Status.RED_FLUSHED, Status.PARTIALLY_RED_FLUSHED},
    Status.PARTIALLY_RED_FLUSHED: {Status.ABNORMAL, Status.RED_FLUSHED, Status.PARTIALLY_RED_FLUSHED},
    Status.ABNORMAL: {Status.NORMAL},
    Status.VOIDED: set(),
    Status.RED_FLUSHED: set(),
}


def _change_status(row: models.Invoice, status: str, reason: str = "", actor=None) -> None:
    if status == row.status:
        return
    if status not in TRANSITIONS[Status(row.status)]:
        raise RegistryError(f"invoice {row} is {row.status}; it cannot become {status}")
    models.StatusChange.objects.create(
        invoice=row, status=status, previous_status=row.status, reason=reason, actor=actor
    )
    row.status = status
    row.save(update_fields=["status"])


def _locked_row(key: InvoiceKey) -> models.Invoice:
    row = models.Invoice.objects.select_for_update().filter(code=key.code, number=key.number).first()
    if row is None:
        raise RegistryError(f"no invoice {key} in the registry")
    return row


def void(key: InvoiceKey, reason: str = "", actor=None) -> models.Invoice:
    """作废: the issuer cancels an invoice."""
    with transaction.atomic():
        row = _locked_row(key)
        _change_status(row, Status.VOIDED, reason, actor)
    return row


def flag_abnormal(key: InvoiceKey, reason: str = "", actor=None) -> models.Invoice:
    """失控/异常: the authority flags an invoice."""
    with transaction.atomic():
        row = _locked_row(key)
        _change_status(row, Status.ABNORMAL, reason, actor)
    return row


def _apply_red_letter(original: models.Invoice, actor=None) -> None:
    """Move the original to (partially) red-flushed from the sum of its red-letter invoices."""
    reversed_total = -(original.red_letter_invoices.aggregate(s=Sum("total"))["s"] or 0)
    status = Status.RED_FLUSHED if reversed_total >= original.total else Status.PARTIALLY_RED_FLUSHED
    if original.status == Status.RED_FLUSHED:
        return
    _change_status(original, status, "红字发票冲销", actor)


def _red_letter_problem(invoice: Invoice, original: models.Invoice | None) -> str | None:
    if original is None:
        return f"red_letter_of: the reversed invoice {invoice.red_letter_of} is not in the registry"
    if original.status == Status.VOIDED:
        return f"red_letter_of: invoice {invoice.red_letter_of} is voided and cannot be reversed"
    already = -(original.red_letter_invoices.aggregate(s=Sum("total"))["s"] or 0)
    if already - invoice.total > original.total:
        return (
            f"total: reverses more than the remaining {original.total - already} of {invoice.red_letter_of}"
        )
    return None


# --- issuing -------------------------------------------------------------------------------


def register(invoice: Invoice, actor=None, on: datetime.date | None = None) -> models.Invoice:
    """Issue one invoice: validate it, store it, and apply it if it is a red-letter invoice."""
    if invoice.status != Status.NORMAL:
        raise RegistryError("a newly issued invoice has status normal")
    problems = errors(validation.validate_invoice(invoice, on or today()))
    if problems:
        raise RegistryError("; ".join(f"{f.field}: {f.message}" for f in problems), problems)
    with transaction.atomic():
        if models.Invoice.objects.filter(code=invoice.code, number=invoice.number).exists():
            raise RegistryError(f"invoice {invoice.key} is already registered")
        original = _locked_original(invoice)
        BulkWriter().write([invoice], {invoice.red_letter_of: original.id} if original else None)
        if original:
            _apply_red_letter(original, actor)
    return find_row(invoice.key)


def _locked_original(invoice: Invoice) -> models.Invoice | None:
    if not invoice.red_letter_of:
        return None
    key = invoice.red_letter_of
    original = models.Invoice.objects.select_for_update().filter(code=key.code, number=key.number).first()
    problem = _red_letter_problem(invoice, original)
    if problem:
        raise RegistryError(problem)
    return original


# --- import --------------------------------------------------------------------------------


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did.  ``ok`` only when every line was accepted."""

    added: int = 0
    unchanged: int = 0
    updated: int = 0
    rejected: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def lines(self) -> int:
        return self.added + self.unchanged + self.updated + len(self.rejected)


@dataclass
class _Pending:
    line: int
    invoice: Invoice
    digest: str


class Importer:
    """Imports invoices batch by batch; each batch is written in one transaction.

    Lines are validated one by one; a bad line is reported and skipped, never half-written.
    Re-importing an identical invoice is a no-op; a different invoice under a registered code
    and number is an error.  A status in the file is applied only where the registry still
    says ``normal`` (the file may be older than the registry, never newer than the issuer).
    """

    def __init__(self, actor=None, on: datetime.date | None = None, batch_size: int = 2000):
        self.actor = actor
        self.on = on or today()
        self.batch_size = batch_size
        self.report = ImportReport()
        self.writer = BulkWriter()
        self.seen: dict[InvoiceKey, str] = {}  # key -> content hash, for this import
        self.batch: list[_Pending] = []

    def add(self, line: int, invoice: Invoice) -> None:
        problems = errors(validation.validate_invoice(invoice, self.on))
        if problems:
            self.reject(line, "; ".join(f"{f.field}: {f.message}" for f in problems))
            return
        digest = content_hash(invoice)
        earlier = self.seen.get(invoice.key)
        if earlier is not None:
            if earlier != digest:
                self.reject(line, f"invoice {invoice.key} appears earlier in this file with other content")
            else:
                self.report.unchanged += 1
            return
        self.seen[invoice.key] = digest
        if invoice.red_letter_of and any(
            invoice.red_letter_of == p.invoice.red_letter_of for p in self.batch
        ):
            self.flush()  # another reversal of the same original must be stored (and counted) first
        self.batch.append(_Pending(line, invoice, digest))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def reject(self, line: int, message: str) -> None:
        self.report.rejected.append(LineError(line, message))

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        with transaction.atomic():
            existing = _existing_rows([p.invoice.key for p in batch])
            fresh: list[_Pending] = []
            for pending in batch:
                row = existing.get(pending.invoice.key)
                if row is None:
                    fresh.append(pending)
                else:
                    self._merge(pending, row)
            self._write(fresh)

    def _merge(self, pending: _Pending, row: models.Invoice) -> None:
        """The invoice is registered already: identical is a no-op, different is an error."""
        invoice = pending.invoice
        if row.content_hash != pending.digest:
            self.reject(pending.line, f"invoice {invoice.key} is registered with different content")
        elif invoice.status == row.status or invoice.status == Status.NORMAL:
            self.report.unchanged += 1
        elif row.status == Status.NORMAL and invoice.status in (Status.VOIDED, Status.ABNORMAL):
            _change_status(row, invoice.status, "imported", self.actor)
            self.report.updated += 1
        else:
            self.reject(
                pending.line, f"invoice {invoice.key} is {row.status} in the registry, not {invoice.status}"
            )

    def _write(self, fresh: list[_Pending]) -> None:
        """Store new invoices; red-letter invoices whose original is among them go second."""
        in_batch = {p.invoice.key for p in fresh}
        self._write_group([p for p in fresh if p.invoice.red_letter_of not in in_batch])
        self._write_group([p for p in fresh if p.invoice.red_letter_of in in_batch])

    def _write_group(self, fresh: list[_Pending]) -> None:
        if not fresh:
            return
        originals = _existing_rows([p.invoice.red_letter_of for p in fresh if p.invoice.red_letter_of])
        accepted = []
        for pending in fresh:
            invoice = pending.invoice
            if invoice.red_letter_of:
                problem = _red_letter_problem(invoice, originals.get(invoice.red_letter_of))
                if problem:
                    self.reject(pending.line, problem)
                    continue
            accepted.append(pending)
        red_letter_ids = {key: row.id for key, row in originals.items()}
        self.writer.write([p.invoice for p in accepted], red_letter_ids, [p.digest for p in accepted])
        for pending in accepted:
            key = pending.invoice.red_letter_of
            if key and pending.invoice.status == Status.NORMAL:
                _apply_red_letter(models.Invoice.objects.get(pk=originals[key].pk), self.actor)
            elif pending.invoice.status != Status.NORMAL and not key:
                self._record_imported_status(pending.invoice)
        self.report.added += len(accepted)

    def _record_imported_status(self, invoice: Invoice) -> None:
        row = models.Invoice.objects.get(code=invoice.code, number=invoice.number)
        models.StatusChange.objects.create(
            invoice=row,
            status=invoice.status,
            previous_status=Status.NORMAL,
            reason="imported",
            actor=self.actor,
        )

    def finish(self) -> ImportReport:
        self.flush()
        return self.report


def _existing_rows(keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, models.Invoice]:
    by_code: dict[str, list[str]] = {}
    for key in keys:
        by_code.setdefault(key.code, []).append(key.number)
    if not by_code:
        return {}
    condition = Q()
    for code, numbers in by_code.items():
        condition |= Q(code=code, number__in=numbers)
    rows = models.Invoice.objects.filter(condition).only(
        "id", "code", "number", "status", "total", "content_hash"
    )
    return {InvoiceKey(row.code, row.number): row for row in rows}


def import_file(stream: IO[str], actor=None, on: datetime.date | None = None) -> ImportReport:
    """Import a file of invoice JSON (JSON Lines or an array)."""
    importer = Importer(actor=actor, on=on)
    for record in jsonio.read_records(stream):
        if record.error:
            importer.reject(record.line, record.error)
            continue
        try:
            invoice = from_json(record.data)
        except InvoiceFormatError as exc:
            importer.reject(record.line, str(exc))
            continue
        importer.add(record.line, invoice)
    return importer.finish()


def export_file(stream: IO[str], fmt: str = "jsonl", status: str | None = None) -> int:
    """Write every registered invoice (optionally of one status) as invoice JSON; return the count."""
    rows = invoice_rows()
    if status:
        rows = rows.filter(status=status)
    invoices = load_invoices(rows)
    return jsonio.write_array(invoices, stream) if fmt == "json" else jsonio.write_lines(invoices, stream)
