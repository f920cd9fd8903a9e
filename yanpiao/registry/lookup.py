"""The hot read paths: a registered invoice by its code and number, and many at once.

Verification runs thousands of times a second and import checks thousands of keys a second,
where the ORM's query compilation would cost more than the database work; so this module
speaks SQL directly and builds the pure :class:`~yanpiao.fapiao.invoice.Invoice` itself.
"""

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from yanpiao import dbapi
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Item, Party
from yanpiao.registry import columns
from yanpiao.security.fields import decrypt

_PARTY = columns.names(columns.PARTY_FIELDS)
_INVOICE = columns.names(columns.INVOICE_FIELDS)
INVOICE_SQL = f"""
SELECT i.id, {", ".join(f"i.{name}" for name in _INVOICE)}, o.code, o.number,
       s.id, {", ".join(f"s.{name}" for name in _PARTY)}, b.id, {", ".join(f"b.{name}" for name in _PARTY)}
  FROM registry_invoice i
  JOIN registry_party s ON s.id = i.seller_id
  JOIN registry_party b ON b.id = i.buyer_id
  LEFT JOIN registry_invoice o ON o.id = i.red_letter_of_id
 WHERE i.code = %s AND i.number = %s
"""  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
ITEMS_SQL = f"""
SELECT {", ".join(columns.names(columns.ITEM_FIELDS))}
  FROM registry_item WHERE invoice_id = %s ORDER BY line_no
"""  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
# Positions in a row of INVOICE_SQL: the id, the invoice's fields, the original's key, the parties.
_ORIGINAL = 1 + len(_INVOICE)
_SELLER = _ORIGINAL + 2
_BUYER = _SELLER + 1 + len(_PARTY)


# Keys per statement of find_stored: two parameters each, far below SQLite's limit of 32766.
KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Stored:
    """What the registry holds about an invoice besides its content: enough to import against it."""

    id: int
    status: str
    total: Decimal
    content_hash: str


@dataclass(frozen=True)
class Registered:
    """A registered invoice and its row id (for linking the verification history)."""

    id: int
    invoice: Invoice


def _reader(fields, table: str) -> Callable[[Sequence, int], dict[str, Any]]:
    """``read(values, row_id)``: the dataclass fields from a row's values, decrypted and converted."""
    steps = tuple((spec.name, columns.from_column(spec), spec.name if spec.mask else None) for spec in fields)

    def read(values: Sequence, row_id: int) -> dict[str, Any]:
        read = {}
        for (name, convert, encrypted), value in zip(steps, values, strict=True):
            if encrypted:
                value = decrypt(value, table, encrypted, row_id)
            read[name] = value if convert is None else convert(value)
        return read

    return read


_read_invoice = _reader(columns.INVOICE_FIELDS, "registry_invoice")
_read_party = _reader(columns.PARTY_FIELDS, "registry_party")
_read_item = _reader(columns.ITEM_FIELDS, "registry_item")


def find(key: InvoiceKey) -> Registered | None:
    cursor = dbapi.cursor()
    try:
        cursor.execute(dbapi.sql(INVOICE_SQL), (key.code, key.number))
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(dbapi.sql(ITEMS_SQL), (row[0],))
        items = tuple(Item(**_read_item(values, 0)) for values in cursor.fetchall())
    finally:
        cursor.close()
    invoice_id = row[0]
    seller_id, buyer_id = row[_SELLER], row[_BUYER]
    original_number = row[_ORIGINAL + 1]
    invoice = Invoice(
        **_read_invoice(row[1:_ORIGINAL], invoice_id),
        red_letter_of=None if original_number is None else InvoiceKey(row[_ORIGINAL], original_number),
        seller=Party(**_read_party(row[_SELLER + 1 : _BUYER], seller_id)),
        buyer=Party(**_read_party(row[_BUYER + 1 :], buyer_id)),
        items=items,
    )
    return Registered(invoice_id, invoice)


def _rows_in_chunks(values: list, query: Callable[[list], tuple[str, list]]) -> Iterator[tuple]:
    """The rows of ``query(chunk) -> (sql, params)``, asked for KEYS_PER_QUERY values at a time."""
    cursor = dbapi.cursor()
    try:
        for start in range(0, len(values), KEYS_PER_QUERY):
            sql, params = query(values[start : start + KEYS_PER_QUERY])
            cursor.execute(dbapi.sql(sql), params)
            yield from cursor.fetchall()
    finally:
        cursor.close()


def find_stored(keys: Iterable[InvoiceKey], lock: bool = False) -> dict[InvoiceKey, Stored]:
    """The registered invoices among ``keys``; with ``lock``, their rows are locked until commit.

    The keys are joined as a VALUES list, which both SQLite and PostgreSQL resolve through the
    unique (code, number) index; ``(code, number) IN (...)`` would scan it on SQLite.
    """
    lock_rows = " FOR UPDATE OF i" if lock and connection.features.has_select_for_update else ""

    def query(chunk: list[InvoiceKey]) -> tuple[str, list]:
        sql = (
            "SELECT i.id, i.code, i.number, i.status, i.total, i.content_hash"  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
            f" FROM (VALUES {', '.join(['(%s, %s)'] * len(chunk))}) AS k"
            " JOIN registry_invoice i ON i.code = k.column1 AND i.number = k.column2" + lock_rows
        )
        return sql, [part for key in chunk for part in key]

    return {
        InvoiceKey(code, number): Stored(pk, status, columns.amount(total), digest)
        for pk, code, number, status, total, digest in _rows_in_chunks(list(dict.fromkeys(keys)), query)
    }


@dataclass(frozen=True)
class RegisteredKeys:
    """A registered invoice's key fields, status and row id: what the comparison of a query without
    content needs (:func:`yanpiao.fapiao.compare.compare_keys`), and nothing of its parties.  The
    校验码 stays sealed until a query asks for it (most types are verified by an amount)."""

    id: int
    type: str
    issue_date: datetime.date
    amount: Decimal
    total: Decimal
    status: str
    sealed_check_code: str

    @property
    def check_code(self) -> str:
        return decrypt(self.sealed_check_code, "registry_invoice", "check_code", self.id)


_KEY_FIELDS = tuple(
    spec
    for spec in columns.INVOICE_FIELDS
    if spec.name in ("type", "issue_date", "amount", "total", "status")
)
_read_key_fields = _reader(_KEY_FIELDS, "registry_invoice")


def find_many(keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, RegisteredKeys]:
    """The key fields of the registered invoices among ``keys``, one statement per KEYS_PER_QUERY
    keys, joined as :func:`find_stored` joins them (in key order, which reads the index in order:
    a fifth faster on SQLite than the keys as they come)."""

    def query(chunk: list[InvoiceKey]) -> tuple[str, list]:
        sql = (
            f"SELECT i.id, i.code, i.number, {', '.join(f'i.{spec.name}' for spec in _KEY_FIELDS)},"  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
            " i.check_code"
            f" FROM (VALUES {', '.join(['(%s, %s)'] * len(chunk))}) AS k"
            " JOIN registry_invoice i ON i.code = k.column1 AND i.number = k.column2"
        )
        return sql, [part for key in chunk for part in key]

    return {
        InvoiceKey(code, number): RegisteredKeys(pk, **_read_key_fields(values, pk), sealed_check_code=sealed)
        for pk, code, number, *values, sealed in _rows_in_chunks(sorted(set(keys)), query)
    }


def reversed_totals(original_ids: Collection[int]) -> dict[int, Decimal]:
    """How much of each original the registered red-letter invoices reverse (a positive sum)."""

    def query(chunk: list[int]) -> tuple[str, list]:
        placeholders = ", ".join(["%s"] * len(chunk))
        sql = (
            "SELECT red_letter_of_id, SUM(total) FROM registry_invoice"  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
            f" WHERE red_letter_of_id IN ({placeholders}) GROUP BY red_letter_of_id"
        )
        return sql, chunk

    return {pk: -columns.amount(total) for pk, total in _rows_in_chunks(list(original_ids), query)}
