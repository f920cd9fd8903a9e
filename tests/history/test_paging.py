"""Cursor paging of the history: newest first, every row once across pages, stable while new
checks arrive, and a cursor that is opaque and cannot be forged (400 in the API, not 500)."""

import base64
import datetime
import uuid

import pytest
from django.utils import timezone

from yanpiao.history import paging
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 3, 1, 9, 0))


def rows(count: int, at=START, step=datetime.timedelta(seconds=1), ties: int = 3) -> list[Verification]:
    """``count`` history rows; every ``ties`` consecutive ones share their time to the microsecond."""
    made = []
    for n in range(count):
        made.append(
            Verification.objects.create(
                channel="api",
                created_at=at + step * (n // ties),
                submitted={"number": f"{n:08d}"},
                outcome="not_found",
            )
        )
    return made


def read_all(queryset, limit: int) -> list[int]:
    seen, cursor = [], None
    while True:
        page = paging.page(queryset, cursor, limit)
        seen += [row.id for row in page.items]
        if page.next_cursor is None:
            return seen
        assert len(page.items) == limit
        cursor = page.next_cursor


def newest_first(made) -> list[int]:
    return [row.id for row in sorted(made, key=lambda row: (row.created_at, row.id), reverse=True)]


@pytest.mark.parametrize("limit", [1, 4, 7, 25, 26, 100])
def test_every_row_is_seen_once_newest_first(limit):
    made = rows(25)
    assert read_all(Verification.objects.all(), limit) == newest_first(made)


def test_an_empty_history_is_one_empty_page():
    page = paging.page(Verification.objects.all(), None)
    assert (page.items, page.next_cursor) == ([], None)


def test_pages_are_stable_while_new_checks_arrive():
    made = rows(20)
    first = paging.page(Verification.objects.all(), None, 6)
    # New checks arrive between the pages (newer, and one at the very time of the page's last row).
    newer = rows(5, at=timezone.now())
    tie = Verification.objects.create(
        channel="api", created_at=first.items[-1].created_at, submitted={}, outcome="invalid"
    )
    rest, cursor = [], first.next_cursor
    while cursor:
        page = paging.page(Verification.objects.all(), cursor, 6)
        rest += [row.id for row in page.items]
        cursor = page.next_cursor
    expected = newest_first(made)
    seen = [row.id for row in first.items] + rest
    # The old rows come exactly once, in order; the new ones sort before the cursor (the tie too:
    # same time, higher id), so they do not push old rows from one page to the next.
    assert seen == expected
    assert not ({row.id for row in newer} | {tie.id}) & set(seen)


def test_a_cursor_holds_no_readable_id_and_differs_each_time():
    made = rows(3)
    cursor = paging.encode(paging.Position(made[0].created_at, made[0].id))
    assert paging.encode(paging.Position(made[0].created_at, made[0].id)) != cursor
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b'"i"' not in raw and b"2026" not in raw  # sealed, not merely encoded
    assert paging.decode(cursor) == paging.Position(made[0].created_at, made[0].id)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "ａｂｃ",
        "A" * 1000,
        base64.urlsafe_b64encode(b'{"t":"2026-03-01T00:00:00+00:00","i":1}').decode(),
        base64.urlsafe_b64encode(uuid.uuid4().bytes).decode(),
    ],
)
def test_a_cursor_not_made_here_is_refused(cursor):
    with pytest.raises(paging.InvalidCursor):
        paging.decode(cursor)


def test_an_altered_or_cut_cursor_is_refused():
    made = rows(3)
    cursor = paging.encode(paging.Position(made[1].created_at, made[1].id))
    flipped = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    for bad in (flipped, cursor[:-4], cursor[:16]):
        with pytest.raises(paging.InvalidCursor):
            paging.page(Verification.objects.all(), bad, 2)


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_the_limit_is_between_1_and_100(limit):
    with pytest.raises(ValueError):
        paging.page(Verification.objects.all(), None, limit)
