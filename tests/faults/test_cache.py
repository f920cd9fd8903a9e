"""The cache going away degrades to the database: while Redis is stopped a read is a miss and a
write does nothing, nothing is raised and nothing waits; the site keeps answering; when Redis is
back the cache works again by itself."""

import json
import time

import pytest
from django.urls import reverse

from tests.faults import servers
from tests.faults.redis_server import BINARY, RedisServer
from yanpiao import cache as degrading

pytestmark = pytest.mark.skipif(
    BINARY is None, reason="needs the redis-server program (apt install redis-server)"
)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def backend(url: str) -> degrading.DegradingRedisCache:
    return degrading.DegradingRedisCache(url, {})


def test_while_redis_is_stopped_reads_miss_writes_do_nothing_and_nothing_is_raised(redis_server, caplog):
    cache = backend(redis_server.url)
    cache.set("invoice", "24112000000244272518")
    assert cache.get("invoice") == "24112000000244272518"
    redis_server.stop()
    started = time.monotonic()
    assert cache.get("invoice") is None and cache.get("invoice", "missed") == "missed"
    assert cache.set("invoice", "again") is None and cache.add("count", 1) is True
    assert cache.get_many(["invoice"]) == {} and cache.has_key("invoice") is False
    assert cache.delete("invoice") is False and cache.set_many({"a": 1}) == []
    with pytest.raises(ValueError):
        cache.incr("count")  # as for a key that is not there
    assert time.monotonic() - started < 1.0
    assert [record.levelname for record in caplog.records if "unreachable" in record.getMessage()] == [
        "WARNING"
    ]


def test_the_cache_works_again_once_redis_is_back(redis_server):
    cache = backend(redis_server.url)
    redis_server.stop()
    assert cache.get("invoice", "missed") == "missed"
    redis_server.start()  # the same port
    time.sleep(degrading.PAUSE_SECONDS + 0.1)
    cache.set("invoice", "back")
    assert cache.get("invoice") == "back"


def test_the_site_keeps_answering_when_its_redis_is_stopped(redis_server, tmp_path):
    process, port = servers.serve(tmp_path / "home", YANPIAO_REDIS_URL=redis_server.url)
    try:
        before = [
            servers.call(port, "GET", "/"),
            servers.call(port, "POST", "/api/v1/verifications", servers.CHECK),
        ]
        redis_server.stop()
        after = [
            servers.call(port, "GET", "/"),
            servers.call(port, "POST", "/api/v1/verifications", servers.CHECK),
            servers.call(port, "GET", "/help/"),
        ]
    finally:
        servers.stop(process)
    assert [answer.status for answer in before + after] == [200] * 5, [a.body[:300] for a in before + after]
    assert json.loads(after[1].body)["outcome"] == "not_found"


@pytest.mark.django_db
def test_a_signed_in_visitor_stays_signed_in_when_the_cache_goes_away(
    settings, redis_server, client, make_user
):
    settings.CACHES = degrading.caches(redis_server.url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client.force_login(make_user())
    assert client.get(reverse("accounts:me")).status_code == 200
    redis_server.stop()
    assert client.get(reverse("accounts:me")).status_code == 200  # the session, read from the database
