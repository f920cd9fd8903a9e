"""``/metrics`` for Prometheus (loopback and ``YANPIAO_METRICS_ALLOW`` only; anyone else gets the
site's 404), ``/healthz`` (the process answers; nothing else is touched, so a load balancer does
not take every web process out when the database blinks) and ``/readyz`` (the database, the cache
and the task queue answer).  Neither tells a caller why something failed: that is in the log."""

from __future__ import annotations

import ipaddress
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST

from yanpiao.observability import collectors, metrics
from yanpiao.security import clients

logger = logging.getLogger(__name__)

OK, FAILING = "ok", "failing"


def may_read_metrics(request) -> bool:
    """Whether the client is on loopback or in one of the allowed networks."""
    address = clients.address(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return True
    return any(ip.version == network.version and ip in network for network in settings.YANPIAO_METRICS_ALLOW)


@never_cache
@require_safe
def metrics_view(request):
    if not may_read_metrics(request):
        raise Http404
    return HttpResponse(metrics.exposition(collectors.DatabaseGauges()), content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_safe
def healthz(request):
    """Alive: this process answers requests."""
    return JsonResponse({"status": OK})


@never_cache
@require_safe
def readyz(request):
    """Ready: the database, the cache and the task queue answer; 503 when one does not."""
    checks = {name: _check(name, probe) for name, probe in PROBES.items()}
    ready = all(state == OK for state in checks.values())
    return JsonResponse({"status": OK if ready else FAILING, "checks": checks}, status=200 if ready else 503)


def _check(name: str, probe) -> str:
    try:
        probe()
    except Exception:  # whatever failed, the caller learns only that it did; the log says why
        logger.warning("readiness: the %s does not answer", name, exc_info=True)
        return FAILING
    return OK


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key, value = f"yanpiao:readyz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not give back what was just set")
    finally:
        cache.delete(key)


def _queue() -> None:
    if settings.YANPIAO_REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.YANPIAO_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    else:
        list(DBTaskResult.objects.order_by().values_list("id")[:1])


PROBES = {"database": _database, "cache": _cache, "queue": _queue}
