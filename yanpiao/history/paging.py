"""Keyset (cursor) paging of the history: newest first, on ``(created_at, id)``.

A page is the rows strictly after the cursor in the order ``-created_at, -id``; a check recorded
while a client pages does not shift the pages it has not read yet (it sorts before them), and no
row is seen twice or skipped.  The ``(actor, created_at)`` and ``created_at`` indexes serve the
order; ``id`` only breaks ties between checks of the same microsecond.

The cursor is opaque: the last row's position, as JSON, sealed with AES-GCM under a key derived
from the master key and written in base64url.  A client can neither read the row id in it (which
would tell how many checks the whole site has made) nor forge one; anything that does not open is
:class:`InvalidCursor`, which the channels answer with 400.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from yanpiao.security import sealed

CURSOR_PURPOSE = b"history cursor v1"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100

T = TypeVar("T")


class InvalidCursor(ValueError):
    """The cursor was not made by this site (altered, cut short, or from another installation)."""


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's time and id."""

    created_at: datetime.datetime
    id: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None on the last page


def encode(position: Position) -> str:
    """The opaque cursor of ``position``."""
    payload = json.dumps(
        {"t": position.created_at.astimezone(datetime.UTC).isoformat(), "i": position.id},
        separators=(",", ":"),
    ).encode()
    return sealed.seal(payload, CURSOR_PURPOSE)


def decode(cursor: str) -> Position:
    """The position a cursor of :func:`encode` holds; :class:`InvalidCursor` for anything else."""
    try:
        data = json.loads(sealed.unseal(cursor, CURSOR_PURPOSE))
        created_at = parse_datetime(data["t"])
        row_id = data["i"]
    except (sealed.Unsealable, ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("not a cursor of this site") from exc
    if created_at is None or created_at.tzinfo is None or not isinstance(row_id, int):
        raise InvalidCursor("not a cursor of this site")
    return Position(created_at, row_id)


def newest_first(rows: QuerySet) -> QuerySet:
    return rows.order_by("-created_at", "-id")


def after(rows: QuerySet, position: Position | None) -> QuerySet:
    """The rows that come after ``position`` in the order newest first."""
    if position is None:
        return rows
    return rows.filter(
        Q(created_at__lt=position.created_at) | Q(created_at=position.created_at, id__lt=position.id)
    )


def page(rows: QuerySet, cursor: str | None, limit: int = DEFAULT_LIMIT) -> Page:
    """One page of ``rows`` (of any model with ``created_at`` and ``id``), newest first, after
    ``cursor`` (None or "" for the first page): at most ``limit`` rows, 1 to :data:`MAX_LIMIT`.

    One query: it fetches one row more than the page to know whether another page follows.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    position = decode(cursor) if cursor else None
    found = list(newest_first(after(rows, position))[: limit + 1])
    items, more = found[:limit], len(found) > limit
    last = items[-1] if items else None
    return Page(items, encode(Position(last.created_at, last.id)) if more and last else None)
