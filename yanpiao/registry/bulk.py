"""Fast inserts of many already-validated invoices, shared by import and the demo generator.

The ORM's per-object overhead would make a million invoices take many minutes, so rows go in
through ``executemany`` with ids reserved up front (the writer holds the write lock on
SQLite, and draws from the identity sequence on PostgreSQL).  Callers validate first and wrap
the call in a transaction: a batch is written whole or not at all.
"""

import contextlib
import operator
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Party
from yanpiao.registry import columns, models
from yanpiao.registry.convert import content_hash, party_fingerprint, party_values
from yanpiao.security.fields import encrypt, tax_id_index

# The ids come last, so that a prepared row is completed by appending them.
INVOICE_COLUMNS = (
    *columns.names(columns.INVOICE_FIELDS), "content_hash", "id", "seller_id", "buyer_id", "red_letter_of_id",
    "registered_at",
)  # fmt: skip
# Encrypted when written (bound to the row id, known only then): the check code and people's names.
INVOICE_ENCRYPTED = tuple(INVOICE_COLUMNS.index(spec.name) for spec in columns.ENCRYPTED_INVOICE_FIELDS)
ITEM_COLUMNS = ("line_no", *columns.names(columns.ITEM_FIELDS), "invoice_id")
PARTY_COLUMNS = ("fingerprint", *columns.names(columns.PARTY_FIELDS))
PARTY_ENCRYPTED = PARTY_COLUMNS[1:]
_CODE, _NUMBER = INVOICE_COLUMNS.index("code"), INVOICE_COLUMNS.index("number")
STATUS_CHANGE_COLUMNS = ("invoice_id", "status", "previous_status", "reason", "actor_id", "changed_at")

# SQLite allows at most 32766 parameters per statement.
LOOKUP_CHUNK = 500
SQLITE_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def large_cache():
    """On SQLite, a page cache big enough for the invoice indexes while writing in bulk
    (by default it holds 2 MB, and every insert into a big registry would read index pages)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    placeholders = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # nosec B608  # table and column names from the models; values are %s parameters


class Prepared(NamedTuple):
    """An invoice turned into the values of its rows, all but the ids known only when writing.

    Preparing is pure work (no database), so it can happen in another process: a tuple of
    plain values (amounts as text) costs far less to send than the :class:`Invoice`.
    """

    red_letter_of: InvoiceKey | None
    status: str
    total: Decimal
    digest: str
    seller: tuple  # PARTY_COLUMNS
    buyer: tuple
    invoice: tuple  # INVOICE_COLUMNS up to content_hash
    items: tuple[tuple, ...]  # ITEM_COLUMNS but invoice_id

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(self.invoice[_CODE], self.invoice[_NUMBER])


def _values(fields) -> Callable[[Any], tuple]:
    """The column values of a dataclass's fields (amounts as text), in the order of ``fields``."""
    getter = operator.attrgetter(*columns.names(fields))
    converted = tuple(
        (index, convert) for index, spec in enumerate(fields) if (convert := columns.to_column(spec))
    )

    def values(obj: Any) -> tuple:
        row = list(getter(obj))
        for index, convert in converted:
            row[index] = convert(row[index])
        return tuple(row)

    return values


_invoice_values = _values(columns.INVOICE_FIELDS)
_item_values = _values(columns.ITEM_FIELDS)


def _party_values(party: Party) -> tuple:
    return (party_fingerprint(party), *party_values(party))


def prepare(inv: Invoice, digest: str | None = None) -> Prepared:
    """The row values of a validated invoice; ``digest`` is its content hash, if known already."""
    digest = digest or content_hash(inv)
    return Prepared(
        inv.red_letter_of,
        inv.status,
        inv.total,
        digest,
        _party_values(inv.seller),
        _party_values(inv.buyer),
        (*_invoice_values(inv), digest),
        tuple((line_no, *_item_values(item)) for line_no, item in enumerate(inv.items, start=1)),
    )


class BulkWriter:
    """Writes invoices in batches, remembering the parties it has stored (by fingerprint)."""

    def __init__(self):
        self.party_ids: dict[str, int] = {}

    def store_parties(self, parties: Sequence[tuple]) -> None:
        """Make sure each party (its PARTY_COLUMNS values) has a row, and learn its id."""
        wanted = {p[0]: p for p in parties if p[0] not in self.party_ids}
        unknown = list(wanted)
        for start in range(0, len(unknown), LOOKUP_CHUNK):
            chunk = unknown[start : start + LOOKUP_CHUNK]
            self.party_ids.update(
                models.Party.objects.filter(fingerprint__in=chunk).values_list("fingerprint", "id")
            )
        missing = [f for f in unknown if f not in self.party_ids]
        if missing:
            ids = dbapi.reserve_ids(models.Party, len(missing))
            self.party_ids.update(zip(missing, ids, strict=True))
            rows = []
            for fingerprint, pk in zip(missing, ids, strict=True):
                values = wanted[fingerprint][1:]
                encrypted = [
                    encrypt(value, "registry_party", column, pk)
                    for column, value in zip(PARTY_ENCRYPTED, values, strict=True)
                ]
                rows.append((fingerprint, *encrypted, tax_id_index(values[1]), pk))
            with connection.cursor() as cursor:
                cursor.executemany(
                    _insert_sql("registry_party", (*PARTY_COLUMNS, "tax_id_index", "id")), rows
                )

    def write(
        self,
        invoices: Sequence[Invoice],
        red_letter_ids: dict | None = None,
        actor=None,
        reason: str = "imported",
    ) -> list[int]:
        """Insert the invoices and their lines; return their ids in order (see write_prepared)."""
        return self.write_prepared([prepare(inv) for inv in invoices], red_letter_ids, actor, reason)

    def write_prepared(
        self,
        invoices: Sequence[Prepared],
        red_letter_ids: dict | None = None,
        actor=None,
        reason: str = "imported",
    ) -> list[int]:
        """Insert the prepared invoices and their lines; return their ids in order.

        ``red_letter_ids`` maps the :class:`InvoiceKey` of each reversed original to its id;
        every red-letter invoice in the batch must find its original there.  An invoice that
        arrives with a status other than normal gets that change in its status history, with
        ``reason``.
        """
        if not invoices:
            return []
        self.store_parties([p for inv in invoices for p in (inv.seller, inv.buyer)])
        party_ids = self.party_ids
        ids = dbapi.reserve_ids(models.Invoice, len(invoices))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        invoice_rows, item_rows, status_rows = [], [], []
        actor_id = actor.pk if actor is not None else None
        for pk, inv in zip(ids, invoices, strict=True):
            original_id = red_letter_ids[inv.red_letter_of] if inv.red_letter_of else None
            values = list(inv.invoice)
            for index in INVOICE_ENCRYPTED:
                values[index] = encrypt(values[index], "registry_invoice", INVOICE_COLUMNS[index], pk)
            invoice_rows.append(
                (*values, pk, party_ids[inv.seller[0]], party_ids[inv.buyer[0]], original_id, now)
            )
            item_rows += [(*item, pk) for item in inv.items]
            if inv.status != models.Status.NORMAL:
                status_rows.append((pk, inv.status, models.Status.NORMAL, reason, actor_id, now))
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql("registry_invoice", INVOICE_COLUMNS), invoice_rows)
            if item_rows:
                cursor.executemany(_insert_sql("registry_item", ITEM_COLUMNS), item_rows)
            if status_rows:
                cursor.executemany(_insert_sql("registry_statuschange", STATUS_CHANGE_COLUMNS), status_rows)
        return ids
