"""Issuing through Yanpiao: register an invoice and hand back its signed QR code; list what an
issuer registered, a page at a time.

:func:`issue` registers the invoice (:func:`yanpiao.registry.services.register`: validated,
stored, a red-letter invoice applied to its original, the audit entry written) and answers with
the invoice's standard QR payload signed by the ``qr`` key (:mod:`yanpiao.security.qr_signature`;
the format is in :mod:`yanpiao.fapiao.qr` and docs/api.md, "Signed QR payloads") and a PNG of
that payload, drawn by segno.  Signing is deterministic (Ed25519): an invoice's payload is the same each time
it is asked for, until the ``qr`` keyset is rotated; earlier payloads stay valid after that.

:func:`page` pages registered invoices newest first, by id, behind an opaque cursor: the last
row's id sealed with AES-GCM under a key derived from the master key, so a client can neither
read how many invoices the registry holds nor forge a position; a cursor that does not open is
:class:`InvalidCursor` (the API answers 400).
"""

from __future__ import annotations

import base64
import datetime
import io
from dataclasses import dataclass

import segno
from django.db.models import QuerySet

from yanpiao.fapiao import qr
from yanpiao.fapiao.invoice import Invoice, to_json
from yanpiao.registry import models, services
from yanpiao.registry.convert import invoice_from_row
from yanpiao.security import qr_signature, sealed

PNG_SCALE = 4  # pixels per module: a signed payload is version 8 or 9 (49-53 modules), ~240 px
PNG_BORDER = 4  # the quiet zone the standard asks for, in modules
CURSOR_PURPOSE = b"issued invoices cursor v1"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def signed_qr_payload(invoice: Invoice) -> str:
    """The invoice's standard QR payload with Yanpiao's signature field."""
    return qr_signature.sign(qr.of_invoice(invoice))


def qr_png(text: str) -> bytes:
    """A PNG of a QR code holding ``text`` (error correction M, as printed invoices use)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=PNG_SCALE, border=PNG_BORDER)
    return out.getvalue()


@dataclass(frozen=True)
class Issued:
    """A registered invoice as its issuer is answered: the invoice, its signed QR payload and (on
    registration, not in listings) a PNG of it."""

    row: models.Invoice
    invoice: Invoice
    qr_payload: str
    qr_png: bytes | None = None

    def to_json(self) -> dict:
        shown = {
            "key": key_text(self.invoice.code, self.invoice.number),
            "registered_at": self.row.registered_at,
            "invoice": to_json(self.invoice),
            "qr_payload": self.qr_payload,
        }
        if self.qr_png is not None:
            shown["qr_png"] = base64.b64encode(self.qr_png).decode("ascii")
        return shown


def key_text(code: str, number: str) -> str:
    """An invoice's key as the API's paths write it: ``code-number``, or the number alone (数电票).

    >>> key_text("1100241320", "00000017"), key_text("", "26112000000000000017")
    ('1100241320-00000017', '26112000000000000017')
    """
    return f"{code}-{number}" if code else number


def parse_key(text: str) -> tuple[str, str] | None:
    """``(code, number)`` of a key written by :func:`key_text`; None when it cannot be one.

    >>> parse_key("1100241320-00000017"), parse_key("26112000000000000017"), parse_key("12-x")
    (('1100241320', '00000017'), ('', '26112000000000000017'), None)
    """
    code, _, number = (text or "").strip().rpartition("-")
    if not number.isascii() or not number.isdigit() or len(number) not in (8, 20):
        return None
    if code and (not code.isascii() or not code.isdigit() or len(code) not in (10, 12)):
        return None
    return code, number


def registered(row: models.Invoice) -> Invoice:
    """The registered invoice of a row (seller, buyer and red_letter_of loaded, as invoice_rows does)."""
    return invoice_from_row(row, row.items.all())


def issue(invoice: Invoice, actor=None, on: datetime.date | None = None) -> Issued:
    """Register ``invoice`` (raises :class:`~yanpiao.registry.services.RegistryError`) and sign its QR code."""
    row = services.register(invoice, actor=actor, on=on)
    return answer(row)


def answer(row: models.Invoice, with_png: bool = True) -> Issued:
    """The issuer's answer for a registered invoice: the invoice, its signed payload and its PNG."""
    invoice = registered(row)
    payload = signed_qr_payload(invoice)
    return Issued(row, invoice, payload, qr_png(payload) if with_png else None)


def narrowed(
    rows: QuerySet,
    status: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet:
    """Registered invoice ``rows`` of one status, issued from ``since`` until ``until`` (inclusive)."""
    if status:
        rows = rows.filter(status=status)
    if since:
        rows = rows.filter(issue_date__gte=since)
    if until:
        rows = rows.filter(issue_date__lte=until)
    return rows


# --- paging ------------------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """The cursor was not made by this site (altered, cut short, or from another installation)."""


@dataclass(frozen=True)
class Page:
    rows: list[models.Invoice]
    next_cursor: str | None  # None on the last page


def encode_cursor(row_id: int) -> str:
    return sealed.seal(row_id.to_bytes(8, "big"), CURSOR_PURPOSE)


def decode_cursor(cursor: str) -> int:
    try:
        plain = sealed.unseal(cursor, CURSOR_PURPOSE)
    except sealed.Unsealable as exc:
        raise InvalidCursor("not a cursor of this site") from exc
    if len(plain) != 8:
        raise InvalidCursor("not a cursor of this site")
    return int.from_bytes(plain, "big")


def page(rows: QuerySet, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """One page of registered invoice ``rows``, newest first, after ``cursor`` (None or "" for the
    first): at most ``limit`` rows, 1 to :data:`MAX_LIMIT`, with their parties and lines loaded."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if cursor:
        rows = rows.filter(id__lt=decode_cursor(cursor))
    found = list(
        rows.select_related("seller", "buyer", "red_letter_of")
        .prefetch_related("items")
        .order_by("-id")[: limit + 1]
    )
    shown, more = found[:limit], len(found) > limit
    return Page(shown, encode_cursor(shown[-1].id) if more and shown else None)
