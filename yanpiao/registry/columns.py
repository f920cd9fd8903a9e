"""The registry's columns, derived from the invoice's declared fields (:mod:`yanpiao.fapiao.invoice`).

Every scalar field of :class:`~yanpiao.fapiao.invoice.Invoice`, :class:`~yanpiao.fapiao.invoice.Party`
and :class:`~yanpiao.fapiao.invoice.Item` is a column of the same name in ``registry_invoice``,
``registry_party`` and ``registry_item``; a field declared as personal data or a secret (its
``mask``) is stored encrypted, bound to its row.  The seller, buyer, lines and the reversed
invoice are rows of their own, linked by id.  The models (:func:`column`), the SQL of the hot
paths (:mod:`.lookup`, :mod:`.bulk`) and the row ↔ dataclass mapping (:mod:`.convert`) all take
their field lists and value conversions from here.

>>> [spec.name for spec in ENCRYPTED_INVOICE_FIELDS]
['check_code', 'drawer', 'payee', 'reviewer']
>>> to_column(AMOUNT_SPEC)(Decimal("57.00")), from_column(AMOUNT_SPEC)(57.0)
('57.00', Decimal('57.00'))
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from yanpiao.fapiao import invoice as fapiao
from yanpiao.fapiao.invoice import AMOUNT, CENT, DATE, KEY, PARTY, QUANTITY, FieldSpec, specs
from yanpiao.security.fields import EncryptedTextField

INVOICE_FIELDS = tuple(spec for spec in specs(fapiao.Invoice) if spec.kind not in (PARTY, fapiao.ITEMS, KEY))
PARTY_FIELDS = specs(fapiao.Party)
ITEM_FIELDS = specs(fapiao.Item)
ENCRYPTED_INVOICE_FIELDS = tuple(spec for spec in INVOICE_FIELDS if spec.mask)
AMOUNT_SPEC = next(spec for spec in INVOICE_FIELDS if spec.name == "amount")

AMOUNT_DIGITS = {"max_digits": 16, "decimal_places": 2}
QUANTITY_LENGTH = 40  # quantities and unit prices keep the precision printed (8.849557522): text


def names(fields: tuple[FieldSpec, ...]) -> tuple[str, ...]:
    return tuple(spec.name for spec in fields)


def column(owner: type, name: str, **options: Any) -> models.Field:
    """The model field storing the field ``name`` of ``owner`` (a dataclass of fapiao.invoice).

    Personal data and secrets are encrypted text; other fields are stored by their kind, with
    ``options`` (max_length, choices, …) passed on.
    """
    spec = next(spec for spec in specs(owner) if spec.name == name)
    if spec.mask:
        return EncryptedTextField(blank=True, default="")
    if spec.kind == AMOUNT:
        return models.DecimalField(**AMOUNT_DIGITS, **options)
    if spec.kind == DATE:
        return models.DateField(**options)
    if spec.kind == QUANTITY:
        return models.CharField(max_length=QUANTITY_LENGTH, blank=True, **options)
    if "max_length" in options:
        return models.CharField(**options)
    return models.TextField(**options)


# --- values: Python ↔ column -------------------------------------------------------------------


def _cents(value: Decimal) -> str:
    return format(value, "f")


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def amount(value) -> Decimal:
    """An amount as read from the driver: SQLite's NUMERIC affinity hands back float or int,
    PostgreSQL a Decimal."""
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(CENT)
    return Decimal(value).quantize(CENT)


def _date(value) -> datetime.date:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _quantity(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def to_column(spec: FieldSpec) -> Callable[[Any], Any] | None:
    """How a value is written to its column by raw SQL; None: as it is."""
    return {AMOUNT: _cents, QUANTITY: _plain}.get(spec.kind)


def from_column(spec: FieldSpec) -> Callable[[Any], Any] | None:
    """How a column's value (from the driver or the ORM) becomes the dataclass's; None: as it is.

    Encrypted columns are decrypted by the caller, which knows the row.
    """
    return {AMOUNT: amount, DATE: _date, QUANTITY: _quantity}.get(spec.kind)
