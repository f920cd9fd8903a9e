"""Registry services: issue (register), void, flag and look up invoices; import and export them.

Every channel (CLI, web, API, demo) changes the registry through these functions, so the
same rules hold everywhere: an invoice is validated by the core before it is stored; a
red-letter invoice must reverse an existing invoice and moves it to ``red_flushed`` or
``partially_red_flushed``; every status change is kept in the invoice's history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.functions import Substr
from django.utils import timezone

from yanpiao.fapiao import validation
from yanpiao.fapiao.findings import Finding, errors
from yanpiao.fapiao.invoice import REVERSED, Invoice, InvoiceKey, Party
from yanpiao.registry import checking, jsonio, lookup, models
from yanpiao.registry.bulk import BulkWriter, Prepared, large_cache
from yanpiao.registry.checking import Checked
from yanpiao.registry.convert import invoice_rows, load_invoices, party_from_row
from yanpiao.registry.lookup import Stored
from yanpiao.registry.models import Status
from yanpiao.security import audit


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


def ids_and_types() -> Iterator[tuple[int, str]]:
    """(id, type) of every registered invoice, in id order (to sample the registry)."""
    return models.Invoice.objects.order_by("id").values_list("id", "type").iterator(chunk_size=10_000)


def invoices_by_id(ids: Iterable[int]) -> Iterator[Invoice]:
    """The registered invoices with these ids, in id order."""
    return load_invoices(invoice_rows().filter(id__in=list(ids)))


def busiest_sellers(count: int) -> list[Party]:
    """The sellers of the most registered invoices, busiest first."""
    ids = list(
        models.Invoice.objects.values_list("seller_id", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n", "seller_id")[:count]
    )
    by_id = models.Party.objects.in_bulk(ids)
    return [party_from_row(by_id[pk]) for pk in ids if pk in by_id]


def highest_digital_sequence(pattern: str, start: int) -> str | None:
    """The highest tail (from character ``start``, 1-based) of the 数电 numbers matching ``pattern``."""
    found = models.Invoice.objects.filter(code="", number__regex=pattern).aggregate(
        highest=Max(Substr("number", start))
    )
    return found["highest"]


def highest_numbers_by_code() -> dict[str, int]:
    """The highest 8-digit 发票号码 registered under each 发票代码."""
    rows = (
        models.Invoice.objects.exclude(code="")
        .filter(number__regex=r"^[0-9]{8}$")
        .values_list("code")
        .annotate(highest=Max("number"))
    )
    return {code: int(highest) for code, highest in rows}


def status_history(invoice_id: int, changes: Iterable[models.StatusChange] | None = None) -> list[dict]:
    """The status changes of a registered invoice, oldest first; ``changes`` when the caller holds
    them already (a listing that prefetched them: no query per row)."""
    if changes is None:
        changes = models.StatusChange.objects.filter(invoice_id=invoice_id)
    return [
        {
            "status": change.status,
            "previous_status": change.previous_status,
            "reason": change.reason,
            "changed_at": change.changed_at.isoformat(),
        }
        for change in changes
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


def _change_status(row: models.Invoice, status: str, reason: str = "", actor=None) -> bool:
    """Move the invoice to ``status``, keeping the change in its history; False if it was there already."""
    if status == row.status:
        return False
    if status not in TRANSITIONS[Status(row.status)]:
        raise RegistryError(f"invoice {row} is {row.status}; it cannot become {status}")
    models.StatusChange.objects.create(
        invoice=row, status=status, previous_status=row.status, reason=reason, actor=actor
    )
    row.status = status
    row.save(update_fields=["status"])
    return True


def _locked_row(key: InvoiceKey) -> models.Invoice:
    row = models.Invoice.objects.select_for_update().filter(code=key.code, number=key.number).first()
    if row is None:
        codes = sorted(
            models.Invoice.objects.filter(number=key.number)
            .exclude(code=key.code)
            .values_list("code", flat=True)
        )
        if codes:
            listed = ", ".join(code or "none (数电票)" for code in codes[:10])
            raise RegistryError(
                f"no invoice {key} in the registry; invoices numbered {key.number} have the 发票代码 {listed}"
            )
        raise RegistryError(f"no invoice {key} in the registry")
    return row


class StatusUpdate(NamedTuple):
    """What a change of status did: the invoice's row, and whether its status changed at all."""

    invoice: models.Invoice
    changed: bool


def _set_status(key: InvoiceKey, status: str, action: str, reason: str, actor) -> StatusUpdate:
    with transaction.atomic():
        row = _locked_row(key)
        changed = _change_status(row, status, reason, actor)
        if changed:  # a second void of a voided invoice changes nothing, and says so
            audit.record(action, actor, audit.target(row), {"invoice": str(key)})
    return StatusUpdate(row, changed)


def void(key: InvoiceKey, reason: str = "", actor=None) -> StatusUpdate:
    """作废: the issuer cancels an invoice."""
    return _set_status(key, Status.VOIDED, audit.Action.REGISTRY_VOID, reason, actor)


def flag_abnormal(key: InvoiceKey, reason: str = "", actor=None) -> StatusUpdate:
    """失控/异常: the authority flags an invoice."""
    return _set_status(key, Status.ABNORMAL, audit.Action.REGISTRY_FLAG, reason, actor)


class Reversals:
    """The originals a group of red-letter invoices reverses, and how much of each is reversed.

    Loaded in two queries (the originals' rows locked until commit), checked and counted in
    memory as each red-letter invoice of the group is accepted, then applied: each original
    moves to ``red_flushed`` or ``partially_red_flushed``.  An ``abnormal`` original keeps the
    authority's flag.
    """

    def __init__(self, originals: Iterable[InvoiceKey]):
        self.originals = lookup.find_stored(originals, lock=True)
        self.reversed = lookup.reversed_totals([stored.id for stored in self.originals.values()])
        self.counted: set[InvoiceKey] = set()

    @property
    def ids(self) -> dict[InvoiceKey, int]:
        return {key: stored.id for key, stored in self.originals.items()}

    def problem(self, invoice: Invoice | Prepared) -> str | None:
        """Why the red-letter ``invoice`` cannot reverse its original, or None."""
        key = invoice.red_letter_of
        original = self.originals.get(key)
        if original is None:
            return f"red_letter_of: the reversed invoice {key} is not in the registry"
        if original.status == Status.VOIDED:
            return f"red_letter_of: invoice {key} is voided and cannot be reversed"
        already = self.reversed.get(original.id, Decimal(0))
        if already - invoice.total > original.total:
            return f"total: reverses more than the remaining {original.total - already} of {key}"
        return None

    def count(self, invoice: Invoice | Prepared) -> None:
        """Count an accepted red-letter invoice (its total is negative)."""
        original = self.originals[invoice.red_letter_of]
        self.reversed[original.id] = self.reversed.get(original.id, Decimal(0)) - invoice.total
        self.counted.add(invoice.red_letter_of)

    def apply(self, actor=None) -> None:
        by_status: dict[str, list[Stored]] = {}
        for key in self.counted:
            original = self.originals[key]
            if original.status not in (Status.NORMAL, Status.PARTIALLY_RED_FLUSHED):
                continue
            fully = self.reversed[original.id] >= original.total
            status = Status.RED_FLUSHED if fully else Status.PARTIALLY_RED_FLUSHED
            if status != original.status:
                by_status.setdefault(status, []).append(original)
        for status, originals in by_status.items():
            models.Invoice.objects.filter(id__in=[o.id for o in originals]).update(status=status)
            models.StatusChange.objects.bulk_create(
                models.StatusChange(
                    invoice_id=o.id,
                    status=status,
                    previous_status=o.status,
                    reason="红字发票冲销",
                    actor=actor,
                )
                for o in originals
            )


# --- issuing -------------------------------------------------------------------------------


def register(invoice: Invoice, actor=None, on: datetime.date | None = None) -> models.Invoice:
    """Issue one invoice: validate it, store it, and apply it if it is a red-letter invoice."""
    if invoice.status != Status.NORMAL:
        raise RegistryError("a newly issued invoice has status normal")
    problems = errors(validation.validate_invoice(invoice, on or today()))
    if problems:
        raise RegistryError(checking.describe(problems), problems)
    with transaction.atomic():
        if models.Invoice.objects.filter(code=invoice.code, number=invoice.number).exists():
            raise RegistryError(f"invoice {invoice.key} is already registered")
        reversals = Reversals([invoice.red_letter_of] if invoice.red_letter_of else [])
        if invoice.red_letter_of:
            problem = reversals.problem(invoice)
            if problem:
                raise RegistryError(problem)
            reversals.count(invoice)
        [invoice_id] = BulkWriter().write([invoice], reversals.ids)
        reversals.apply(actor)
        audit.record(
            audit.Action.REGISTRY_REGISTER,
            actor,
            audit.target(models.Invoice, invoice_id),
            {"invoice": str(invoice.key)},
        )
    return find_row(invoice.key)


class BulkRegistration:
    """Registers invoices their producer vouches for (the demo generator), fast, batch by batch.

    Use it as a context manager (it enlarges SQLite's cache for the duration).  Each
    :meth:`write` is one transaction with one audit entry.  The invoices are not validated:
    the caller must give valid ones with fresh codes and numbers.  A red-letter invoice must come
    after the invoice it reverses (in its batch or an earlier one), and that original arrives
    with the status it ends up with (``red_flushed`` or ``partially_red_flushed``), which is
    kept in its status history with ``reason``.
    """

    def __init__(self, actor=None, reason: str = "demo"):
        self.actor = actor
        self.reason = reason
        self.writer = BulkWriter()
        self.reversed_ids: dict[InvoiceKey, int] = {}  # originals whose red-letter invoice is to come
        self._cache = large_cache()

    def __enter__(self) -> BulkRegistration:
        self._cache.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._cache.__exit__(*exc_info)

    def write(self, batch: Sequence[Invoice]) -> None:
        """Register the batch: red-letter invoices whose originals are in it wait for the originals'
        ids (writing each pair in order would take hundreds of small calls)."""
        with transaction.atomic():
            in_batch = {inv.key for inv in batch if inv.status in REVERSED}
            waiting = [inv for inv in batch if inv.red_letter_of in in_batch]
            first = [inv for inv in batch if inv.red_letter_of not in in_batch] if waiting else batch
            self._write(first)
            self._write(waiting)
            audit.record(
                audit.Action.REGISTRY_REGISTER_BULK,
                self.actor,
                audit.target(models.Invoice),
                {"invoices": len(batch), "reason": self.reason},
            )

    def _write(self, invoices: Sequence[Invoice]) -> None:
        if not invoices:
            return
        red_letter_ids = {
            inv.red_letter_of: self.reversed_ids.pop(inv.red_letter_of)
            for inv in invoices
            if inv.red_letter_of
        }
        ids = self.writer.write(invoices, red_letter_ids, actor=self.actor, reason=self.reason)
        for invoice, pk in zip(invoices, ids, strict=True):
            if invoice.status in REVERSED:
                self.reversed_ids[invoice.key] = pk


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
    key: InvoiceKey
    invoice: Prepared


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

    def add(self, checked: Checked) -> None:
        """Take a checked record of the file (see :mod:`yanpiao.registry.checking`)."""
        if checked.error:
            self.reject(checked.line, checked.error)
            return
        invoice = checked.invoice
        key, digest = invoice.key, invoice.digest
        earlier = self.seen.get(key)
        if earlier is not None:
            if earlier != digest:
                self.reject(checked.line, f"invoice {key} appears earlier in this file with other content")
            else:
                self.report.unchanged += 1
            return
        self.seen[key] = digest
        self.batch.append(_Pending(checked.line, key, invoice))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def reject(self, line: int, message: str) -> None:
        self.report.rejected.append(LineError(line, message))

    def flush(self) -> None:
        """Write the batch in one transaction, with its audit entry (so an import killed later
        leaves one for each batch it committed)."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        added, updated = self.report.added, self.report.updated
        with transaction.atomic():
            existing = lookup.find_stored([p.key for p in batch])
            fresh: list[_Pending] = []
            for pending in batch:
                row = existing.get(pending.key)
                if row is None:
                    fresh.append(pending)
                else:
                    self._merge(pending, row)
            self._write(fresh)
            added, updated = self.report.added - added, self.report.updated - updated
            if added or updated:
                audit.record(
                    audit.Action.REGISTRY_REGISTER_BULK,
                    self.actor,
                    audit.target(models.Invoice),
                    {"invoices": added, "updated": updated, "reason": "import"},
                )

    def _merge(self, pending: _Pending, stored: Stored) -> None:
        """The invoice is registered already: identical is a no-op, different is an error."""
        invoice = pending.invoice
        if stored.content_hash != invoice.digest:
            self.reject(pending.line, f"invoice {pending.key} is registered with different content")
        elif invoice.status == stored.status or invoice.status == Status.NORMAL:
            self.report.unchanged += 1
        elif stored.status == Status.NORMAL and invoice.status in (Status.VOIDED, Status.ABNORMAL):
            row = models.Invoice.objects.select_for_update().get(pk=stored.id)
            _change_status(row, invoice.status, "imported", self.actor)
            self.report.updated += 1
        else:
            self.reject(
                pending.line,
                f"invoice {pending.key} is {stored.status} in the registry, not {invoice.status}",
            )

    def _write(self, fresh: list[_Pending]) -> None:
        """Store new invoices; red-letter invoices whose original is among them go second."""
        in_batch = {p.key for p in fresh}
        self._write_group([p for p in fresh if p.invoice.red_letter_of not in in_batch])
        self._write_group([p for p in fresh if p.invoice.red_letter_of in in_batch])

    def _write_group(self, group: list[_Pending]) -> None:
        if not group:
            return
        reversals = Reversals(p.invoice.red_letter_of for p in group if p.invoice.red_letter_of)
        accepted = []
        for pending in group:
            if pending.invoice.red_letter_of:
                problem = reversals.problem(pending.invoice)
                if problem:
                    self.reject(pending.line, problem)
                    continue
                reversals.count(pending.invoice)
            accepted.append(pending)
        self.writer.write_prepared([p.invoice for p in accepted], reversals.ids, actor=self.actor)
        reversals.apply(self.actor)
        self.report.added += len(accepted)

    def finish(self) -> ImportReport:
        self.flush()
        return self.report


def import_file(
    stream: IO[str], actor=None, on: datetime.date | None = None, workers: int | None = None
) -> ImportReport:
    """Import a file of invoice JSON (JSON Lines or an array).

    ``workers`` processes check the records of a big file (default: the IMPORT_WORKERS setting).
    """
    importer = Importer(actor=actor, on=on)
    if workers is None:
        workers = settings.YANPIAO_IMPORT_WORKERS
    with large_cache():
        for checked in checking.check_all(jsonio.read_records(stream), importer.on, workers):
            importer.add(checked)
        report = importer.finish()
    audit.record(
        audit.Action.REGISTRY_IMPORT,
        actor,
        audit.target(models.Invoice),
        {
            "added": report.added,
            "unchanged": report.unchanged,
            "updated": report.updated,
            "rejected": len(report.rejected),
        },
    )
    return report


def export_file(stream: IO[str], fmt: str = "jsonl", status: str | None = None, actor=None) -> int:
    """Write every registered invoice (optionally of one status) as invoice JSON; return the count.

    The export is audited however it ends: a reader gone (``yanpiao export | head``), an
    interruption or an error leaves an entry with ``complete`` false and the invoices written to
    the stream until then (an upper bound of what the reader received: some may have stayed in a
    buffer).
    """
    rows = invoice_rows()
    if status:
        rows = rows.filter(status=status)
    written, complete = 0, False

    def counted(invoices):
        nonlocal written
        for invoice in invoices:
            yield invoice
            written += 1  # the writer came back for the next one: this one's write returned

    invoices = counted(load_invoices(rows))
    try:
        count = (
            jsonio.write_array(invoices, stream) if fmt == "json" else jsonio.write_lines(invoices, stream)
        )
        stream.flush()
        complete = True
    finally:
        audit.record(
            audit.Action.REGISTRY_EXPORT,
            actor,
            audit.target(models.Invoice),
            {"invoices": written, "status": status or "any", "complete": complete},
        )
    return count
