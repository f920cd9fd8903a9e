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
from yanpiao.security.fields import decrypt, decrypt_columns

_PARTY = columns.names(columns.PARTY_FIELDS)
_INVOICE = columns.names(columns.INVOICE_FIELDS)
_ITEM_COLUMNS = columns.names(columns.ITEM_FIELDS)
# One statement: the invoice, its parties, the key of the invoice it reverses, and its lines (a
# row per line, the invoice's columns repeated; one row with NULL lines when it has none).
INVOICE_SQL = f"""
SELECT i.id, {", ".join(f"i.{name}" for name in _INVOICE)}, o.code, o.number,
       s.id, {", ".join(f"s.{name}" for name in _PARTY)}, b.id, {", ".join(f"b.{name}" for name in _PARTY)},
       l.line_no, {", ".join(f"l.{name}" for name in _ITEM_COLUMNS)}{{also_columns}}
  FROM registry_invoice i
  JOIN registry_party s ON s.id = i.seller_id
  JOIN registry_party b ON b.id = i.buyer_id
  LEFT JOIN registry_invoice o ON o.id = i.red_letter_of_id
  LEFT JOIN registry_item l ON l.invoice_id = i.id{{also_joins}}
 WHERE i.code = %s AND i.number = %s
 ORDER BY l.line_no
"""  # nosec B608  # column names from registry.columns and %s placeholders; keys are parameters
# Positions in a row of INVOICE_SQL: the id, the invoice's fields, the original's key, the parties,
# the line's number and fields.
_ORIGINAL = 1 + len(_INVOICE)
_SELLER = _ORIGINAL + 2
_BUYER = _SELLER + 1 + len(_PARTY)
_ITEM = _BUYER + 1 + len(_PARTY)
_ALSO = _ITEM + 1 + len(_ITEM_COLUMNS)
_TYPE, _ISSUE_DATE, _CHECK_CODE, _AMOUNT, _TOTAL, _STATUS = (
    1 + _INVOICE.index(name) for name in ("type", "issue_date", "check_code", "amount", "total", "status")
)
_date = columns.from_column(next(spec for spec in columns.INVOICE_FIELDS if spec.name == "issue_date"))
_sql: dict[tuple, str] = {}  # INVOICE_SQL in the driver's placeholder style, by vendor and what else


# Keys per statement of find_stored: two parameters each, far below SQLite's limit of 32766.
KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class Stored:
    """What the registry holds about an invoice besides its content: enough to import against it."""

    id: int
    status: str
    total: Decimal
    content_hash: str


def _reader(fields, table: str) -> Callable[[Sequence, int], dict[str, Any]]:
    """``read(values, row_id)``: the dataclass fields from a row's values, decrypted and converted."""
    names = tuple(spec.name for spec in fields)
    converts = tuple(columns.from_column(spec) for spec in fields)
    encrypted = tuple(position for position, spec in enumerate(fields) if spec.mask)
    encrypted_columns = tuple(names[position] for position in encrypted)

    def read(values: Sequence, row_id: int) -> dict[str, Any]:
        if encrypted:
            values = list(values)
            tokens = [values[position] for position in encrypted]
            for position, plain in zip(
                encrypted, decrypt_columns(tokens, table, encrypted_columns, row_id), strict=True
            ):
                values[position] = plain
        return {
            name: value if convert is None else convert(value)
            for name, convert, value in zip(names, converts, values, strict=True)
        }

    return read


_read_invoice = _reader(columns.INVOICE_FIELDS, "registry_invoice")
_read_party = _reader(columns.PARTY_FIELDS, "registry_party")
_read_item = _reader(columns.ITEM_FIELDS, "registry_item")


class Registered:
    """A registered invoice found by its code and number: its row id, key fields and status at once
    (what :func:`yanpiao.fapiao.compare.compare_keys` needs), the 校验码 decrypted when asked for, and
    the whole :class:`~yanpiao.fapiao.invoice.Invoice` (parties and lines, decrypted) on first use of
    :attr:`invoice`: a check that reveals nothing decrypts nothing it does not compare."""

    __slots__ = (
        "id",
        "type",
        "issue_date",
        "amount",
        "total",
        "status",
        "_row",
        "_items",
        "_check_code",
        "_invoice",
        "also",
    )

    def __init__(self, row: Sequence, items: list[Sequence]):
        self.id = row[0]
        self.type = row[_TYPE]
        self.issue_date = _date(row[_ISSUE_DATE])
        self.amount = columns.amount(row[_AMOUNT])
        self.total = columns.amount(row[_TOTAL])
        self.status = row[_STATUS]
        self._row, self._items = row, items
        self._check_code: str | None = None
        self._invoice: Invoice | None = None
        self.also = tuple(row[_ALSO:])  # what else the look-up was asked to read

    @property
    def check_code(self) -> str:
        if self._check_code is None:
            self._check_code = decrypt(self._row[_CHECK_CODE], "registry_invoice", "check_code", self.id)
        return self._check_code

    @property
    def invoice(self) -> Invoice:
        if self._invoice is None:
            self._invoice = self._decrypted()
        return self._invoice

    def _decrypted(self) -> Invoice:
        row = self._row
        seller_id, buyer_id = row[_SELLER], row[_BUYER]
        original_number = row[_ORIGINAL + 1]
        return Invoice(
            **_read_invoice(row[1:_ORIGINAL], self.id),
            red_letter_of=None if original_number is None else InvoiceKey(row[_ORIGINAL], original_number),
            seller=Party(**_read_party(row[_SELLER + 1 : _BUYER], seller_id)),
            buyer=Party(**_read_party(row[_BUYER + 1 : _ITEM], buyer_id)),
            items=tuple(Item(**_read_item(values, 0)) for values in self._items),
        )


def find(key: InvoiceKey, also: tuple[str, str] = ("", "")) -> Registered | None:
    """The registered invoice with this code and number, in one statement; nothing is decrypted
    until asked for (:class:`Registered`).  ``also`` is what else to read of the invoice ``i`` in
    that statement, as columns and joins (their aliases other than i, s, b, o and l), found in
    ``Registered.also``."""
    statement = _sql.get((connection.vendor, also))
    if statement is None:
        columns_sql, joins = also
        statement = _sql[connection.vendor, also] = dbapi.sql(
            INVOICE_SQL.format(also_columns=f", {columns_sql}" if columns_sql else "", also_joins=joins)
        )
    cursor = dbapi.cursor()
    try:
        cursor.execute(statement, key)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return None
    return Registered(rows[0], [row[_ITEM + 1 : _ALSO] for row in rows if row[_ITEM] is not None])


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
