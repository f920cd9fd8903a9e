"""Mapping between the pure :class:`yanpiao.fapiao.invoice.Invoice` and the registry's rows.

Field by field as :mod:`yanpiao.registry.columns` derives them from the invoice's declaration.
"""

import functools
import hashlib
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Item, Party, to_json
from yanpiao.registry import columns, models
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


_PARTY_VALUES = operator.attrgetter(*columns.names(columns.PARTY_FIELDS))


def party_values(party: Party) -> tuple[str, ...]:
    """The party's fields in declaration order (name, tax_id, address, phone, bank, account)."""
    return _PARTY_VALUES(party)


def party_fingerprint(party: Party) -> str:
    """A keyed digest of every field: recognises a stored party without revealing it."""
    return _fingerprint(party, keys.generation())


@functools.lru_cache(maxsize=1 << 16)  # the same sellers and buyers come again and again
def _fingerprint(party: Party, key_generation: int) -> str:
    return keyed_digest(orjson.dumps(list(party_values(party))), "party")


def _from_row(fields) -> Callable[[Any], dict[str, Any]]:
    """The dataclass fields of a model row (an ORM object), converted by :func:`columns.from_column`."""
    steps = tuple((spec.name, columns.from_column(spec)) for spec in fields)
    return lambda row: {
        name: getattr(row, name) if convert is None else convert(getattr(row, name))
        for name, convert in steps
    }


_PARTY_ROW = _from_row(columns.PARTY_FIELDS)
_ITEM_ROW = _from_row(columns.ITEM_FIELDS)
_INVOICE_ROW = _from_row(columns.INVOICE_FIELDS)


def party_from_row(row: models.Party) -> Party:
    return Party(**_PARTY_ROW(row))


def item_from_row(row: models.Item) -> Item:
    return Item(**_ITEM_ROW(row))


def invoice_from_row(row: models.Invoice, items: Iterable[models.Item]) -> Invoice:
    """The registered invoice; ``row`` must come with its seller, buyer and red_letter_of loaded."""
    original = row.red_letter_of
    return Invoice(
        **_INVOICE_ROW(row),
        seller=party_from_row(row.seller),
        buyer=party_from_row(row.buyer),
        items=tuple(item_from_row(item) for item in items),
        red_letter_of=InvoiceKey(original.code, original.number) if original else None,
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
