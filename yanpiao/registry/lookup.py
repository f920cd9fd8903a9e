"""The hot read paths: a registered invoice by its code and number, and many at once.

Verification runs thousands of times a second and import checks thousands of keys a second,
where the ORM's query compilation would cost more than the database work; so this module
speaks SQL directly and builds the pure :class:`~yanpiao.fapiao.invoice.Invoice` itself.
"""

import datetime
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from yanpiao import dbapi
from yanpiao.fapiao.invoice import CENT, Invoice, InvoiceKey, Item, Party
from yanpiao.security.fields import decrypt

PARTY_FIELDS = ("name", "tax_id", "address", "phone", "bank", "account")  # all encrypted
_PARTY = ", ".join(f"{{p}}.{name}" for name in PARTY_FIELDS)
INVOICE_SQL = f"""
SELECT i.id, i.type, i.code, i.number, i.issue_date, i.check_code, i.machine_no,
       i.amount, i.tax, i.total, i.total_in_words, i.remarks, i.drawer, i.payee, i.reviewer,
       i.status, o.code, o.number, s.id, {_PARTY.format(p="s")}, b.id, {_PARTY.format(p="b")}
  FROM registry_invoice i
  JOIN registry_party s ON s.id = i.seller_id
  JOIN registry_party b ON b.id = i.buyer_id
  LEFT JOIN registry_invoice o ON o.id = i.red_letter_of_id
 WHERE i.code = %s AND i.number = %s
"""
ITEMS_SQL = """
SELECT name, amount, tax_rate, tax, tax_category_code, spec, unit, quantity, unit_price
  FROM registry_item WHERE invoice_id = %s ORDER BY line_no
"""


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


def _amount(value) -> Decimal:
    # SQLite's NUMERIC affinity hands back float or int; PostgreSQL hands back Decimal.
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(CENT)
    return Decimal(value).quantize(CENT)


def _date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _optional(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _party(party_id: int, ciphertexts) -> Party:
    return Party(
        *(
            decrypt(value, "registry_party", name, party_id)
            for name, value in zip(PARTY_FIELDS, ciphertexts, strict=True)
        )
    )


def find(key: InvoiceKey) -> Registered | None:
    cursor = dbapi.cursor()
    try:
        cursor.execute(dbapi.sql(INVOICE_SQL), (key.code, key.number))
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(dbapi.sql(ITEMS_SQL), (row[0],))
        items = tuple(
            Item(
                name=name,
                amount=_amount(amount),
                tax_rate=rate,
                tax=_amount(tax),
                tax_category_code=category,
                spec=spec,
                unit=unit,
                quantity=_optional(quantity),
                unit_price=_optional(price),
            )
            for name, amount, rate, tax, category, spec, unit, quantity, price in cursor.fetchall()
        )
    finally:
        cursor.close()
    original = InvoiceKey(row[16], row[17]) if row[17] is not None else None
    invoice = Invoice(
        type=row[1],
        code=row[2],
        number=row[3],
        issue_date=_date(row[4]),
        check_code=decrypt(row[5], "registry_invoice", "check_code", row[0]),
        machine_no=row[6],
        amount=_amount(row[7]),
        tax=_amount(row[8]),
        total=_amount(row[9]),
        total_in_words=row[10],
        remarks=row[11],
        drawer=decrypt(row[12], "registry_invoice", "drawer", row[0]),
        payee=decrypt(row[13], "registry_invoice", "payee", row[0]),
        reviewer=decrypt(row[14], "registry_invoice", "reviewer", row[0]),
        status=row[15],
        red_letter_of=original,
        seller=_party(row[18], row[19:25]),
        buyer=_party(row[25], row[26:32]),
        items=items,
    )
    return Registered(row[0], invoice)


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
            "SELECT i.id, i.code, i.number, i.status, i.total, i.content_hash"
            f" FROM (VALUES {', '.join(['(%s, %s)'] * len(chunk))}) AS k"
            " JOIN registry_invoice i ON i.code = k.column1 AND i.number = k.column2" + lock_rows
        )
        return sql, [part for key in chunk for part in key]

    return {
        InvoiceKey(code, number): Stored(pk, status, _amount(total), digest)
        for pk, code, number, status, total, digest in _rows_in_chunks(list(dict.fromkeys(keys)), query)
    }


def reversed_totals(original_ids: Collection[int]) -> dict[int, Decimal]:
    """How much of each original the registered red-letter invoices reverse (a positive sum)."""

    def query(chunk: list[int]) -> tuple[str, list]:
        placeholders = ", ".join(["%s"] * len(chunk))
        sql = (
            "SELECT red_letter_of_id, SUM(total) FROM registry_invoice"
            f" WHERE red_letter_of_id IN ({placeholders}) GROUP BY red_letter_of_id"
        )
        return sql, chunk

    return {pk: -_amount(total) for pk, total in _rows_in_chunks(list(original_ids), query)}
