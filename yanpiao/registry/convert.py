"""Mapping between the pure :class:`yanpiao.fapiao.invoice.Invoice` and the registry's rows."""

import functools
import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal

import orjson

from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Item, Party, to_json
from yanpiao.registry import models
from yanpiao.security import keys
from yanpiao.security.fields import keyed_digest


def _digest(data) -> str:
    """sha256 of the canonical JSON: keys sorted, no spaces, UTF-8 (what json.dumps writes with
    ``ensure_ascii=False, sort_keys=True, separators=(",", ":")``, only faster)."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def content_hash(invoice: Invoice) -> str:
    """Identifies what was issued (everything but the registry status): equal hashes, same invoice.

    A plain sha256: it covers every printed field, so it cannot confirm a guess of less.
    """
    data = to_json(invoice)
    del data["status"]
    return _digest(data)


def party_values(party: Party) -> tuple[str, ...]:
    """name, tax_id, address, phone, bank, account."""
    return (party.name, party.tax_id, party.address, party.phone, party.bank, party.account)


def party_fingerprint(party: Party) -> str:
    """A keyed digest of every field: recognises a stored party without revealing it."""
    return _fingerprint(party, keys.generation())


@functools.lru_cache(maxsize=1 << 16)  # the same sellers and buyers come again and again
def _fingerprint(party: Party, key_generation: int) -> str:
    return keyed_digest(orjson.dumps(list(party_values(party))), "party")


def party_from_row(row: models.Party) -> Party:
    return Party(row.name, row.tax_id, row.address, row.phone, row.bank, row.account)


def _decimal_or_none(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def item_from_row(row: models.Item) -> Item:
    return Item(
        name=row.name,
        amount=row.amount,
        tax_rate=row.tax_rate,
        tax=row.tax,
        tax_category_code=row.tax_category_code,
        spec=row.spec,
        unit=row.unit,
        quantity=_decimal_or_none(row.quantity),
        unit_price=_decimal_or_none(row.unit_price),
    )


def invoice_from_row(row: models.Invoice, items: Iterable[models.Item]) -> Invoice:
    """The registered invoice; ``row`` must come with its seller, buyer and red_letter_of loaded."""
    original = row.red_letter_of
    return Invoice(
        type=row.type,
        code=row.code,
        number=row.number,
        issue_date=row.issue_date,
        check_code=row.check_code,
        machine_no=row.machine_no,
        seller=party_from_row(row.seller),
        buyer=party_from_row(row.buyer),
        items=tuple(item_from_row(item) for item in items),
        amount=row.amount,
        tax=row.tax,
        total=row.total,
        total_in_words=row.total_in_words,
        remarks=row.remarks,
        drawer=row.drawer,
        payee=row.payee,
        reviewer=row.reviewer,
        red_letter_of=InvoiceKey(original.code, original.number) if original else None,
        status=row.status,
    )


def invoice_rows():
    """The query set that :func:`load_invoices` expects."""
    return models.Invoice.objects.select_related("seller", "buyer", "red_letter_of")


def load_invoices(queryset, chunk_size: int = 2000) -> Iterator[Invoice]:
    """Registered invoices with their lines, streamed in chunks (used by export)."""
    last_id = 0
    while True:
        chunk = list(queryset.filter(id__gt=last_id).order_by("id")[:chunk_size])
        if not chunk:
            return
        items: dict[int, list[models.Item]] = {}
        for item in models.Item.objects.filter(invoice_id__in=[r.id for r in chunk]).order_by(
            "invoice_id", "line_no"
        ):
            items.setdefault(item.invoice_id, []).append(item)
        for row in chunk:
            yield invoice_from_row(row, items.get(row.id, ()))
        last_id = chunk[-1].id
