"""Fast inserts of many already-validated invoices, shared by import and the demo generator.

The ORM's per-object overhead would make a million invoices take many minutes, so rows go in
through ``executemany`` with ids reserved up front (the writer holds the write lock on
SQLite, and draws from the identity sequence on PostgreSQL).  Callers validate first and wrap
the call in a transaction: a batch is written whole or not at all.
"""

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from yanpiao.fapiao.invoice import Invoice, Party
from yanpiao.registry import models
from yanpiao.registry.convert import content_hash, party_fingerprint

INVOICE_COLUMNS = (
    "id", "type", "code", "number", "issue_date", "check_code", "machine_no", "seller_id", "buyer_id",
    "amount", "tax", "total", "total_in_words", "remarks", "drawer", "payee", "reviewer",
    "red_letter_of_id", "status", "content_hash", "registered_at",
)  # fmt: skip
ITEM_COLUMNS = (
    "invoice_id", "line_no", "name", "tax_category_code", "spec", "unit", "quantity", "unit_price",
    "amount", "tax_rate", "tax",
)  # fmt: skip
PARTY_COLUMNS = ("fingerprint", "name", "tax_id", "address", "phone", "bank", "account")

# SQLite allows at most 32766 parameters per statement.
LOOKUP_CHUNK = 500


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    placeholders = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"


def reserve_ids(model, count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``; call inside the transaction that uses them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


class BulkWriter:
    """Writes invoices in batches, remembering the parties it has stored."""

    def __init__(self):
        self.party_ids: dict[str, int] = {}
        # The same ids by the Party itself: hashing a Party costs a fraction of its fingerprint,
        # and batches repeat parties.
        self._ids_by_party: dict[Party, int] = {}
        ops = connection.ops
        self._date = ops.adapt_datefield_value
        self._decimal = lambda v: ops.adapt_decimalfield_value(v, 16, 2)
        self._datetime = ops.adapt_datetimefield_value

    def party_id(self, party: Party) -> int:
        pk = self._ids_by_party.get(party)
        if pk is None:
            pk = self._ids_by_party[party] = self.party_ids[party_fingerprint(party)]
        return pk

    def store_parties(self, parties: Sequence[Party]) -> None:
        """Make sure each party has a row, and learn its id."""
        known = self._ids_by_party
        wanted = {party_fingerprint(p): p for p in {p: None for p in parties if p not in known}}
        unknown = [f for f in wanted if f not in self.party_ids]
        for start in range(0, len(unknown), LOOKUP_CHUNK):
            chunk = unknown[start : start + LOOKUP_CHUNK]
            self.party_ids.update(
                models.Party.objects.filter(fingerprint__in=chunk).values_list("fingerprint", "id")
            )
        missing = [f for f in unknown if f not in self.party_ids]
        if missing:
            ids = reserve_ids(models.Party, len(missing))
            rows = []
            for pk, fingerprint in zip(ids, missing, strict=True):
                p = wanted[fingerprint]
                rows.append((pk, fingerprint, p.name, p.tax_id, p.address, p.phone, p.bank, p.account))
                self.party_ids[fingerprint] = pk
            with connection.cursor() as cursor:
                cursor.executemany(_insert_sql("registry_party", ("id", *PARTY_COLUMNS)), rows)
        for fingerprint, party in wanted.items():
            known[party] = self.party_ids[fingerprint]

    def write(
        self,
        invoices: Sequence[Invoice],
        red_letter_ids: dict | None = None,
        digests: Sequence[str] | None = None,
    ) -> list[int]:
        """Insert the invoices and their lines; return their ids in order.

        ``red_letter_ids`` maps the :class:`InvoiceKey` of each reversed original to its id;
        every red-letter invoice in the batch must find its original there.  ``digests`` are
        the invoices' content hashes when the caller has them already.
        """
        if not invoices:
            return []
        self.store_parties([p for inv in invoices for p in (inv.seller, inv.buyer)])
        ids = reserve_ids(models.Invoice, len(invoices))
        now = self._datetime(timezone.now())
        invoice_rows, item_rows = [], []
        for index, (pk, inv) in enumerate(zip(ids, invoices, strict=True)):
            original_id = red_letter_ids[inv.red_letter_of] if inv.red_letter_of else None
            invoice_rows.append((
                pk, inv.type, inv.code, inv.number, self._date(inv.issue_date), inv.check_code,
                inv.machine_no, self.party_id(inv.seller), self.party_id(inv.buyer),
                self._decimal(inv.amount), self._decimal(inv.tax), self._decimal(inv.total),
                inv.total_in_words, inv.remarks, inv.drawer, inv.payee, inv.reviewer,
                original_id, inv.status, digests[index] if digests else content_hash(inv), now,
            ))  # fmt: skip
            for line_no, item in enumerate(inv.items, start=1):
                item_rows.append((
                    pk, line_no, item.name, item.tax_category_code, item.spec, item.unit,
                    "" if item.quantity is None else format(item.quantity, "f"),
                    "" if item.unit_price is None else format(item.unit_price, "f"),
                    self._decimal(item.amount), item.tax_rate, self._decimal(item.tax),
                ))  # fmt: skip
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql("registry_invoice", INVOICE_COLUMNS), invoice_rows)
            if item_rows:
                cursor.executemany(_insert_sql("registry_item", ITEM_COLUMNS), item_rows)
        return ids
