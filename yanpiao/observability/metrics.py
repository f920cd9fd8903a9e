"""The counters and histograms counted in process, all named ``yanpiao_…``.

``prometheus_client`` runs in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by the settings
before this module is imported: :func:`yanpiao.observability.settings.metrics_directory`): each
process writes its values to files of its own in that folder and :func:`exposition` adds up every
process's, so the granian workers and the task workers of one machine count together.  Without the
folder (a process that imported ``prometheus_client`` before the settings) the values are this
process's only.

This module imports nothing of Yanpiao, so that any layer may count (the verification services
call :func:`verified`); the gauges read from the database live in :mod:`.collectors`.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.registry import REGISTRY

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: the site answers in milliseconds, uploads and exports in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "yanpiao_http_requests",
    "HTTP requests answered, by method, route name and status class.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "yanpiao_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
VERIFICATIONS = Counter(
    "yanpiao_verifications",
    "Verifications recorded, by outcome and channel.",
    ["outcome", "channel"],
)
PRUNED = Counter(
    "yanpiao_retention_pruned",
    "Records and files deleted past their retention, by kind.",
    ["kind"],
)


def multiprocess_directory() -> Path | None:
    """The folder the processes count into, or None when this process counts alone."""
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


# The labelled children, kept: labels() costs as much as the count itself.  Bounded like the labels.
_requests: dict[tuple[str, str, int], Counter] = {}
_latencies: dict[str, Histogram] = {}


def request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (the method bounded to the usual ones, the status to its class)."""
    if method not in METHODS:
        method = "OTHER"
    key = (method, route, status // 100)
    counter = _requests.get(key)
    if counter is None:
        counter = _requests[key] = REQUESTS.labels(method, route, f"{status // 100}xx")
    counter.inc()
    latency = _latencies.get(route)
    if latency is None:
        latency = _latencies[route] = LATENCY.labels(route)
    latency.observe(seconds)


_verifications: dict[tuple[str, str], Counter] = {}


def _verifications_of(outcome: str, channel: str) -> Counter:
    counter = _verifications.get((outcome, channel))
    if counter is None:
        counter = _verifications[outcome, channel] = VERIFICATIONS.labels(outcome, channel)
    return counter


def verified(outcome: str, channel: str) -> None:
    """Count one recorded verification."""
    _verifications_of(outcome, channel).inc()


def verified_many(outcomes: Iterable[str], channel: str) -> None:
    """Count recorded verifications, one per outcome given (a batch's chunk)."""
    for outcome, count in Tally(outcomes).items():
        _verifications_of(outcome, channel).inc(count)


def exposition(*collectors) -> bytes:
    """The text exposition of every process's values and of ``collectors`` (read now)."""
    directory = multiprocess_directory()
    if directory is None:
        registry = CollectorRegistry()
        registry.register(_Everything())
    else:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry, path=str(directory))
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _Everything:
    """The default registry's metrics, for a registry of one scrape (single-process mode)."""

    def collect(self):
        return REGISTRY.collect()


def forget_dead_processes() -> int:
    """Delete the value files of processes that have ended; how many.  For ``yanpiao serve`` at
    start: otherwise each restart leaves files that every scrape reads.  The counters they held
    go with them (Prometheus reads the drop as a counter reset)."""
    directory = multiprocess_directory()
    if directory is None or not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
