"""The counters of :mod:`yanpiao.security.throttle` on Redis, when ``YANPIAO_REDIS_URL`` is set.

A counter is the key ``yanpiao:throttle:<keyed digest>:<window start, epoch seconds>``: the digest
the table would hold (never an address or an invoice number), one key per window, so a new window
starts at zero by itself and an ended one expires ``MARGIN_SECONDS`` after its end.  Every
operation is atomic in Redis: a Lua script refuses past the limit without counting, a MULTI
counts what is never refused.

The table stays the store when Redis is not configured, for the limits whose counters are read
with SQL elsewhere (:data:`IN_TABLE_ONLY`), and while Redis cannot be reached: each function here
then answers :data:`IN_TABLE` and the caller counts in the table, as it does without Redis.  The
loss is logged once a minute at most and Redis is left alone for ``cache.PAUSE_SECONDS`` before it is
tried again, as the cache does (:mod:`yanpiao.cache`).  Counts made in the table during an outage
are not carried over: for the rest of that window a key may pass up to its limit in each store.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from yanpiao.cache import LOST, SOCKET_TIMEOUT, Outage

if TYPE_CHECKING:
    from yanpiao.security.throttle import Limit

logger = logging.getLogger(__name__)

PREFIX = "yanpiao:throttle:"
MARGIN_SECONDS = 60  # a counter outlives its window by this much: clocks of app and Redis may differ
KEYS_PER_CALL = 1000  # hit_many's keys per script: Redis runs nothing else meanwhile
# The risk rules read these counters with SQL in their own statements (yanpiao.risk.signals
# window_counts, yanpiao.risk.assessment read_facts) and count them in the verification's
# transaction: they stay in the table until they read through this module.
IN_TABLE_ONLY = ("risk.",)

IN_TABLE = object()  # the answer when the table is the store

# KEYS[1] the counter; ARGV: the limit, seconds to live.  The count after this event, or -1 (and
# nothing counted) when the limit is reached.
_HIT = """
local counted = tonumber(redis.call('GET', KEYS[1]) or '0')
if counted >= tonumber(ARGV[1]) then return -1 end
counted = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return counted
"""

# KEYS: the counters; ARGV: the limit, seconds to live, then each key's events.  For each key how
# many of its events were counted: the first ones, up to the limit.
_HIT_MANY = """
local most, ttl, taken = tonumber(ARGV[1]), ARGV[2], {}
for i, counter in ipairs(KEYS) do
  local counted = tonumber(redis.call('GET', counter) or '0')
  local take = math.max(0, math.min(tonumber(ARGV[i + 2]), most - counted))
  if take > 0 then
    redis.call('INCRBY', counter, take)
    redis.call('EXPIRE', counter, ttl)
  end
  taken[i] = take
end
return taken
"""


class _Counters:
    """One client (a thread-safe pool) of the Redis at ``url`` and its scripts."""

    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self.hit = self.client.register_script(_HIT)
        self.hit_many = self.client.register_script(_HIT_MANY)


def _throttle_outage() -> Outage:
    return Outage("the throttle counters' Redis is unreachable, counting in the database: %s", logger)


_counters: _Counters | None = None
_outage = _throttle_outage()
_lock = threading.Lock()


def _store(limit: Limit) -> _Counters | None:
    """The counters on Redis for ``limit``, or None when they are in the table."""
    global _counters
    url = settings.YANPIAO_REDIS_URL
    if not url or limit.name.startswith(IN_TABLE_ONLY) or _outage.paused():
        return None
    counters = _counters
    if counters is None or counters.url != url:
        with _lock:
            if _counters is None or _counters.url != url:
                _counters = _Counters(url)
            counters = _counters
    return counters


def reset() -> None:
    """Forget this process's client and any outage (for the tests, and after a change of URL)."""
    global _counters, _outage
    with _lock:
        if _counters is not None:
            _counters.client.close()
        _counters, _outage = None, _throttle_outage()


def counter_key(digest: str, start: datetime.datetime) -> str:
    return f"{PREFIX}{digest}:{int(start.timestamp())}"


def _seconds_to_live(end: datetime.datetime) -> int:
    # Relative to this clock rather than an EXPIREAT: Redis's clock may differ from ours.
    return max(0, int((end.timestamp() - time.time()) + 0.999)) + MARGIN_SECONDS


def hit(limit: Limit, digest: str, start: datetime.datetime, end: datetime.datetime):
    """Count one event unless the limit is reached: the count after it, None when refused (not
    counted), or :data:`IN_TABLE`."""
    counters = _store(limit)
    if counters is None:
        return IN_TABLE
    try:
        counted = counters.hit(keys=[counter_key(digest, start)], args=[limit.count, _seconds_to_live(end)])
    except LOST as error:
        _outage.failed(error)
        return IN_TABLE
    return None if counted < 0 else counted


def tally(limit: Limit, digest: str, start: datetime.datetime, end: datetime.datetime, times: int):
    """Count ``times`` events, never refused: the count after them, or :data:`IN_TABLE`."""
    counters = _store(limit)
    if counters is None:
        return IN_TABLE
    counter = counter_key(digest, start)
    try:
        with counters.client.pipeline(transaction=True) as pipeline:
            counted, _ = pipeline.incrby(counter, times).expire(counter, _seconds_to_live(end)).execute()
    except LOST as error:
        _outage.failed(error)
        return IN_TABLE
    return counted


def hit_many(
    limit: Limit, events: Sequence[tuple[str, int]], start: datetime.datetime, end: datetime.datetime
):
    """Count ``events`` (digest, how many) as far as the limit allows: how many were counted for
    each digest, or :data:`IN_TABLE`.  Should Redis go away midway, the digests it did not count
    are missing from the answer: they are the table's."""
    counters = _store(limit)
    if counters is None:
        return IN_TABLE
    ttl, counted = _seconds_to_live(end), {}
    try:
        for first in range(0, len(events), KEYS_PER_CALL):
            chunk = events[first : first + KEYS_PER_CALL]
            taken = counters.hit_many(
                keys=[counter_key(digest, start) for digest, _ in chunk],
                args=[limit.count, ttl, *(times for _, times in chunk)],
            )
            counted.update(zip((digest for digest, _ in chunk), taken, strict=True))
    except LOST as error:
        _outage.failed(error)
        return counted or IN_TABLE
    return counted
