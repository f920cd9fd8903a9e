"""Counting limits: per key and window, shared through the database, never storing the key."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from yanpiao.security import throttle
from yanpiao.security.models import ThrottleWindow

pytestmark = pytest.mark.django_db

THREE_A_DAY = throttle.Limit("test.daily", 3, datetime.timedelta(days=1))
SHANGHAI = timezone.get_default_timezone()


def at(*args):
    return timezone.make_aware(datetime.datetime(*args), SHANGHAI)


def test_events_up_to_the_limit_pass_and_the_next_is_refused_until_the_window_ends():
    for _ in range(3):
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 9))
    with pytest.raises(throttle.Exceeded) as refused:
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 23, 59, 30))
    assert refused.value.retry_at == at(2026, 5, 2)
    assert refused.value.retry_after == 30


def test_a_day_window_is_a_calendar_day_in_local_time():
    for _ in range(3):
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 23, 59))
    throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 2, 0, 0, 1))


def test_keys_are_counted_apart():
    for _ in range(3):
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 9))
    throttle.hit(THREE_A_DAY, "invoice-2", now=at(2026, 5, 1, 9))
    throttle.hit(
        throttle.Limit("test.other", 3, datetime.timedelta(days=1)), "invoice-1", now=at(2026, 5, 1, 9)
    )


def test_refused_events_are_not_counted():
    limit = throttle.Limit("test.hourly", 1, datetime.timedelta(hours=1))
    throttle.hit(limit, "a", now=at(2026, 5, 1, 9, 10))
    for minute in (20, 30, 40):
        with pytest.raises(throttle.Exceeded):
            throttle.hit(limit, "a", now=at(2026, 5, 1, 9, minute))
    assert ThrottleWindow.objects.get().count == 1


def test_a_limit_of_zero_counts_nothing():
    unlimited = throttle.Limit("test.off", 0, datetime.timedelta(days=1))
    for _ in range(10):
        throttle.hit(unlimited, "a")
    assert not ThrottleWindow.objects.exists()


def test_what_is_counted_never_reaches_the_table():
    throttle.hit(THREE_A_DAY, "203.0.113.9", "144031900111")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ThrottleWindow._meta.db_table}")
        stored = repr(cursor.fetchall())
    assert "203.0.113.9" not in stored and "144031900111" not in stored


def test_ended_windows_are_forgotten(monkeypatch):
    monkeypatch.setattr(throttle, "_prune", lambda now: None)
    throttle.hit(THREE_A_DAY, "a", now=at(2026, 5, 1, 9))
    throttle.hit(THREE_A_DAY, "b", now=at(2026, 5, 3, 9))
    assert throttle.forget_expired(at(2026, 5, 3, 10)) == 1
    assert ThrottleWindow.objects.count() == 1


def test_counting_a_new_key_now_and_then_forgets_ended_windows(monkeypatch):
    monkeypatch.setattr(throttle, "_pruned_at", None)
    throttle.hit(THREE_A_DAY, "a", now=at(2026, 5, 1, 9))
    throttle.hit(THREE_A_DAY, "b", now=at(2026, 5, 1, 9, 30))  # within the hour: nothing pruned
    throttle.hit(THREE_A_DAY, "c", now=at(2026, 5, 3, 9))
    assert ThrottleWindow.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_are_all_counted():
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is shared by threads; SQLite writers queue anyway")
    limit = throttle.Limit("test.concurrent", 8, datetime.timedelta(days=1))
    refused = []

    def hit():
        try:
            throttle.hit(limit, "shared")
        except throttle.Exceeded:
            refused.append(1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 4
    assert ThrottleWindow.objects.get().count == 8


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", "unknown"),
        (None, "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_client_addresses_are_counted_by_address_or_ipv6_slash_64(address, counted_as):
    assert throttle.address_key(address) == counted_as
