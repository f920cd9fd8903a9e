"""The cache on Redis (``YANPIAO_REDIS_URL``), which degrades to no cache while Redis is away.

Nothing Yanpiao keeps in the cache is its only copy: sessions are in the database
(``cached_db``), counters start again.  So when Redis cannot be reached, a read is a miss and a
write or a deletion does nothing — the answers of Django's ``DummyCache`` — and nothing is raised;
the site goes on from the database.  The loss is logged once a minute at most.  After a failure
Redis is left alone for ``PAUSE_SECONDS`` (each call would otherwise wait for its own time-out),
then tried again: the cache comes back by itself.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

BACKEND = "yanpiao.cache.DegradingRedisCache"
# Seconds: a cache that answers later than this is no faster than the database.
SOCKET_TIMEOUT = 0.25
PAUSE_SECONDS = 2.0
LOG_EVERY_SECONDS = 60.0
LOST = (RedisConnectionError, RedisTimeoutError, OSError)

# What each operation answers while Redis is away (those of Django's DummyCache); incr and decr
# raise ValueError, as for a key that is not there.
_MISSING = object()
DEGRADED = {
    "get": None,  # the default asked for
    "add": True,
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": _MISSING,
    "set_many": [],
    "delete_many": None,
    "clear": None,
}


def caches(redis_url: str) -> dict:
    """``CACHES``: this backend on ``redis_url``, or each process's own memory without one."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {"default": {"BACKEND": BACKEND, "LOCATION": redis_url}}


class Outage:
    """Whether a Redis is being left alone after a failure, and when its loss was last logged
    (``message`` takes the error; also used by the throttle counters on Redis)."""

    def __init__(
        self,
        message: str = "the cache at %s is unreachable, going on without it: %s",
        log: logging.Logger = logger,
    ):
        self.message, self.log = message, log
        self.lock = threading.Lock()
        self.until = 0.0
        self.logged = float("-inf")

    def paused(self) -> bool:
        return time.monotonic() < self.until

    def failed(self, error: Exception, *where) -> None:
        now = time.monotonic()
        with self.lock:
            self.until = now + PAUSE_SECONDS
            if now - self.logged < LOG_EVERY_SECONDS:
                return
            self.logged = now
        self.log.warning(self.message, *where, error)


_OUTAGES: dict[str, Outage] = {}
_OUTAGES_LOCK = threading.Lock()


def _degrading(name: str):
    fallback = DEGRADED[name]

    def answer(self, args, kwargs):
        if fallback is _MISSING:
            raise ValueError("the cache is unavailable: no such key")
        if name == "get":
            return kwargs.get("default", args[1] if len(args) > 1 else None)
        return type(fallback)() if isinstance(fallback, (dict, list)) else fallback

    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def degrading(self, *args, **kwargs):
        if self._outage.paused():
            return answer(self, args, kwargs)
        try:
            return method(self, *args, **kwargs)
        except LOST as error:
            self._outage.failed(error, self._servers[0])
            return answer(self, args, kwargs)

    return degrading


class DegradingRedisCache(RedisCache):
    """Django's Redis cache with short time-outs, no retries, and no failure when Redis is away."""

    def __init__(self, server, params):
        options = {
            "socket_connect_timeout": SOCKET_TIMEOUT,
            "socket_timeout": SOCKET_TIMEOUT,
            "retry": Retry(NoBackoff(), 0),
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        # Django makes a cache object per thread; the threads of a process share what they learn.
        with _OUTAGES_LOCK:
            self._outage = _OUTAGES.setdefault(str(server), Outage())


for _name in DEGRADED:
    setattr(DegradingRedisCache, _name, _degrading(_name))
