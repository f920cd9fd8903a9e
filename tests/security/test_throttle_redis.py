"""Counting limits on Redis when ``YANPIAO_REDIS_URL`` is set: the same answers as the table,
atomic under concurrent callers, keys as digests, and the table again while Redis is away."""

import datetime
import logging
import threading
import time
from collections import Counter

import pytest
import redis
from django.utils import timezone

from tests.faults.redis_server import BINARY, RedisServer
from yanpiao import cache
from yanpiao.security import throttle, throttle_redis
from yanpiao.security.models import ThrottleWindow

pytestmark = [
    pytest.mark.skipif(BINARY is None, reason="needs the redis-server program (apt install redis-server)"),
    pytest.mark.django_db,
]

THREE_A_DAY = throttle.Limit("test.daily", 3, datetime.timedelta(days=1))
SHANGHAI = timezone.get_default_timezone()


def at(*args):
    return timezone.make_aware(datetime.datetime(*args), SHANGHAI)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = RedisServer(tmp_path_factory.mktemp("redis"))
    started.start()
    yield started
    started.stop()


def use(settings, server) -> redis.Redis:
    settings.YANPIAO_REDIS_URL = server.url
    throttle_redis.reset()
    return redis.Redis.from_url(server.url, decode_responses=True)


@pytest.fixture
def stored(settings, server):
    """The throttle counting on the module's Redis, emptied; a client to look into it."""
    client = use(settings, server)
    client.flushdb()
    yield client
    throttle_redis.reset()
    client.close()


def counters(client: redis.Redis) -> dict[str, int]:
    return {name: int(client.get(name)) for name in client.scan_iter(f"{throttle_redis.PREFIX}*")}


def test_counts_go_to_redis_and_not_to_the_table(stored):
    throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 9))
    throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 10))
    assert throttle.tally(THREE_A_DAY, "invoice-2", now=at(2026, 5, 1, 9), times=4) == 4
    assert sorted(counters(stored).values()) == [2, 4]
    assert not ThrottleWindow.objects.exists()


def test_a_counter_is_named_by_its_digest_and_window_start_and_expires_after_the_window(stored):
    now = timezone.now()
    throttle.hit(THREE_A_DAY, "invoice-1", now=now)
    start = throttle.window_start(THREE_A_DAY.window, now)
    name = f"yanpiao:throttle:{throttle.key(THREE_A_DAY, 'invoice-1')}:{int(start.timestamp())}"
    left = (start + THREE_A_DAY.window - now).total_seconds()
    assert counters(stored) == {name: 1}
    assert left < stored.ttl(name) <= left + throttle_redis.MARGIN_SECONDS + 1


def test_the_event_past_the_limit_is_refused_until_the_window_ends_and_not_counted(stored):
    for _ in range(3):
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 9))
    for _ in range(2):
        with pytest.raises(throttle.Exceeded) as refused:
            throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 23, 59, 30))
    assert refused.value.retry_at == at(2026, 5, 2) and refused.value.retry_after == 30
    assert list(counters(stored).values()) == [3]


def test_windows_roll_over_on_their_aligned_start(stored):
    twice_in_two_seconds = throttle.Limit("test.short", 2, datetime.timedelta(seconds=2))
    throttle.hit(twice_in_two_seconds, "a", now=at(2026, 5, 1, 9, 0, 0))
    throttle.hit(twice_in_two_seconds, "a", now=at(2026, 5, 1, 9, 0, 1))
    with pytest.raises(throttle.Exceeded):
        throttle.hit(twice_in_two_seconds, "a", now=at(2026, 5, 1, 9, 0, 1, 900000))
    throttle.hit(twice_in_two_seconds, "a", now=at(2026, 5, 1, 9, 0, 2))
    assert sorted(counters(stored).values()) == [1, 2]


def test_a_day_window_is_a_calendar_day_in_local_time(stored):
    for _ in range(3):
        throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 1, 23, 59))
    throttle.hit(THREE_A_DAY, "invoice-1", now=at(2026, 5, 2, 0, 0, 1))
    assert {name.rsplit(":", 1)[1] for name in counters(stored)} == {
        str(int(at(2026, 5, 1).timestamp())),
        str(int(at(2026, 5, 2).timestamp())),
    }


def test_counting_set_wise_agrees_with_counting_one_by_one(stored):
    set_wise = throttle.Limit("test.set-wise", 5, datetime.timedelta(days=1))
    one_by_one = throttle.Limit("test.one-by-one", 5, datetime.timedelta(days=1))
    now = at(2026, 5, 1, 9)
    throttle.hit(set_wise, "b", now=now)
    throttle.hit(one_by_one, "b", now=now)
    events = {("a",): 3, ("b",): 7, ("c",): 1, ("d",): 0}

    counted = throttle.hit_many(set_wise, events, now=now)

    singly = Counter()
    for (part,), times in events.items():
        for _ in range(times):
            try:
                throttle.hit(one_by_one, part, now=now)
                singly[part,] += 1
            except throttle.Exceeded:
                pass
    assert counted == {("a",): 3, ("b",): 4, ("c",): 1} == {parts: singly[parts] for parts in counted}
    held = counters(stored)
    for part in "abc":
        start = int(throttle.window_start(set_wise.window, now).timestamp())
        assert (
            held[f"{throttle_redis.PREFIX}{throttle.key(set_wise, part)}:{start}"]
            == held[f"{throttle_redis.PREFIX}{throttle.key(one_by_one, part)}:{start}"]
        )


def test_a_tally_of_several_events_is_the_tally_of_each(stored):
    watched = throttle.Limit("test.watched", 2, datetime.timedelta(hours=1))
    now = at(2026, 5, 1, 9)
    assert [throttle.tally(watched, "a", now=now) for _ in range(4)] == [1, 2, 3, 4]
    assert throttle.tally(watched, "b", now=now, times=4) == 4
    assert throttle.tally(watched, "b", now=now, times=3) == 7


def test_callers_counting_the_same_key_at_once_never_pass_the_limit(stored):
    limit = throttle.Limit("test.concurrent", 100, datetime.timedelta(days=1))
    accepted, refused, ready = Counter(), Counter(), threading.Barrier(8)

    def attempts(thread: int):
        ready.wait()
        for _ in range(50):
            try:
                throttle.hit(limit, "shared")
                accepted[thread] += 1
            except throttle.Exceeded:
                refused[thread] += 1

    threads = [threading.Thread(target=attempts, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(accepted.values()) == 100 and sum(refused.values()) == 300
    assert list(counters(stored).values()) == [100]


def test_batches_counting_the_same_keys_at_once_never_pass_the_limit(stored):
    limit = throttle.Limit("test.concurrent-batches", 10, datetime.timedelta(days=1))
    counted, ready = [], threading.Barrier(6)

    def batch():
        ready.wait()
        counted.append(throttle.hit_many(limit, {("x",): 3, ("y",): 1}))

    threads = [threading.Thread(target=batch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(answer["x",] for answer in counted) == 10 and sum(answer["y",] for answer in counted) == 6


def test_what_is_counted_never_reaches_redis(stored):
    throttle.hit(THREE_A_DAY, "203.0.113.9", "144031900111")
    throttle.tally(THREE_A_DAY, "203.0.113.9")
    throttle.hit_many(THREE_A_DAY, {("203.0.113.9", "144031900111"): 1})
    held = repr(counters(stored))
    assert held.count(throttle_redis.PREFIX) == 2
    assert "203.0.113.9" not in held and "144031900111" not in held


def test_counters_the_risk_rules_read_with_sql_stay_in_the_table(stored):
    throttle.tally(throttle.Limit("risk.mismatch", 3, datetime.timedelta(hours=1)), "account:1", "044", "12")
    assert ThrottleWindow.objects.get().count == 1 and counters(stored) == {}


def test_without_a_redis_url_the_table_counts(settings, stored):
    settings.YANPIAO_REDIS_URL = ""
    throttle.hit(THREE_A_DAY, "invoice-1")
    assert ThrottleWindow.objects.get().count == 1 and counters(stored) == {}


def test_while_redis_is_away_the_table_counts_and_redis_counts_again_once_back(
    settings, tmp_path, monkeypatch, caplog
):
    own = RedisServer(tmp_path)
    own.start()
    client = use(settings, own)
    monkeypatch.setattr(cache, "PAUSE_SECONDS", 0.3)
    try:
        throttle.hit(THREE_A_DAY, "invoice-1")
        own.stop()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger=throttle_redis.__name__):
            throttle.hit(THREE_A_DAY, "invoice-1")
            time.sleep(0.4)  # past the pause: Redis is tried, and fails, again
            throttle.hit(THREE_A_DAY, "invoice-1")
            assert throttle.tally(THREE_A_DAY, "invoice-2") == 1
            assert throttle.hit_many(THREE_A_DAY, {("invoice-3",): 5}) == {("invoice-3",): 3}
        assert time.monotonic() - started < 2.0
        assert ThrottleWindow.objects.get(key=throttle.key(THREE_A_DAY, "invoice-1")).count == 2
        assert [record.levelname for record in caplog.records if "unreachable" in record.getMessage()] == [
            "WARNING"
        ]

        own.start()  # the same port, empty
        time.sleep(0.4)
        throttle.hit(THREE_A_DAY, "invoice-1")
        assert list(counters(client).values()) == [1]
        assert ThrottleWindow.objects.get(key=throttle.key(THREE_A_DAY, "invoice-1")).count == 2
    finally:
        throttle_redis.reset()
        client.close()
        own.stop()
