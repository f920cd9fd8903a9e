"""/healthz answers without the database; /readyz checks the database, the cache and the queue and
says which fails, never why; /metrics is for loopback and the allowed networks only."""

import ipaddress
import json
import socket

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from yanpiao.alerts.models import Alert
from yanpiao.observability import metrics, retention, views
from yanpiao.security import audit


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.content.decode())
        for sample in family.samples
    }


def test_healthz_answers_without_touching_the_database(rf):
    # No `db` fixture: any query would raise.
    answer = views.healthz(rf.get("/healthz"))
    assert answer.status_code == 200 and json.loads(answer.content) == {"status": "ok"}


def test_healthz_answers_get_and_head(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.head("/healthz").status_code == 200


def test_readyz_is_ok_when_everything_answers(client, db):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "queue": "ok"}}


def test_readyz_is_503_when_the_cache_is_gone_and_tells_no_one_why(client, db, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "failing",
        "checks": {"database": "ok", "cache": "failing", "queue": "ok"},
    }
    assert "refused" not in answer.content.decode().lower()
    assert "cache does not answer" in caplog.text


def test_readyz_is_503_when_the_redis_queue_is_gone(client, db, settings):
    settings.YANPIAO_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["checks"]["queue"] == "failing"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory SQLite test database cannot be taken away"
)
def test_readyz_is_503_and_healthz_200_while_the_database_is_down(client, transactional_db):
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        answer = client.get("/readyz")
        alive = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert answer.status_code == 503 and answer.json()["checks"]["database"] == "failing"
    assert "refused" not in answer.content.decode().lower()
    assert alive.status_code == 200  # alive all the same: no load balancer takes it out


def test_metrics_are_a_404_to_an_address_not_allowed(client, db):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_metrics_are_a_404_to_a_client_behind_the_proxy_even_from_loopback(client, db, settings):
    settings.YANPIAO_BEHIND_PROXY = True
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404


def test_metrics_are_open_to_an_allowed_network(client, db, settings):
    settings.YANPIAO_METRICS_ALLOW = (ipaddress.ip_network("10.20.0.0/16"),)
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 404


def test_metrics_from_loopback_are_the_text_exposition_of_yanpiao_names(client, db):
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(answer.content.decode())}
    assert {"yanpiao_queue_tasks_waiting", "yanpiao_alerts_open", "yanpiao_audit_entries_unsigned"} <= names
    assert all(name.startswith("yanpiao_") for name in names)


def test_a_request_moves_its_counter_and_its_latency_histogram(client, db):
    counter = ("yanpiao_http_requests_total", (("method", "GET"), ("route", "api:ping"), ("status", "2xx")))
    count = ("yanpiao_http_request_duration_seconds_count", (("route", "api:ping"),))
    before = scrape(client)
    assert client.get("/api/v1/ping").status_code == 200
    after = scrape(client)
    assert after[counter] >= before.get(counter, 0) + 1
    assert after[count] >= before.get(count, 0) + 1


def test_verifications_are_counted_by_outcome_and_channel(client, db):
    sample = ("yanpiao_verifications_total", (("channel", "web"), ("outcome", "not_found")))
    before = scrape(client).get(sample, 0)
    metrics.verified("not_found", "web")
    metrics.verified_many(["not_found", "authentic", "not_found"], "web")
    assert scrape(client)[sample] == before + 3


def test_the_gauges_read_the_queue_the_open_alerts_and_the_audit_backlog(client, db, own_keysets):
    # A home of its own: no checkpoint of another run's entries.
    from django.utils import timezone

    backlog = ("yanpiao_audit_entries_unsigned", ())
    before = scrape(client)
    retention.prune.enqueue()
    Alert.objects.create(
        kind=Alert.Kind.ENUMERATION,
        severity="high",
        subject=Alert.Subject.ADDRESS,
        subject_key="k",
        window_start=timezone.now(),
        summary="s",
    )
    audit.record(audit.Action.RETENTION_PRUNE, None, "logs", {"kind": "log_file", "count": 0})
    after = scrape(client)
    assert after[("yanpiao_queue_tasks_waiting", (("queue", "default"),))] == 1
    assert after[("yanpiao_alerts_open", (("severity", "high"),))] == 1
    assert after[backlog] == before[backlog] + 1
    assert after[("yanpiao_metrics_database_up", ())] == 1
