"""The observability settings, read from the environment by ``yanpiao.settings`` before anything
imports ``prometheus_client`` (it needs only :mod:`yanpiao.config`).

- ``YANPIAO_HISTORY_RETENTION_DAYS`` and ``YANPIAO_LOG_RETENTION_DAYS``: how long the verification
  history and the log files under ``YANPIAO_HOME/logs`` are kept; 183 days (six months, the
  Cybersecurity Law's minimum for logs) by default and at least.
- ``YANPIAO_METRICS_ALLOW``: networks (CIDRs, comma-separated) besides loopback that may read
  ``/metrics``.
- ``PROMETHEUS_MULTIPROC_DIR``: ``YANPIAO_HOME/metrics`` unless set, so that the counters of every
  web and worker process of this machine add up.
"""

import ipaddress
import os
from pathlib import Path

from yanpiao import config

MINIMUM_RETENTION_DAYS = 183  # six months: logs kept at least that long (Cybersecurity Law, art. 21)
LOG_FORMATS = ("json", "text")


def retention_days(name: str) -> int:
    """Days to keep, from ``name``: 183 by default, fewer refused with a clear error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return MINIMUM_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise config.ConfigError(f"{name} must be a whole number of days, not {raw!r}") from None
    if days < MINIMUM_RETENTION_DAYS:
        raise config.ConfigError(
            f"{name} must be at least {MINIMUM_RETENTION_DAYS} days (six months of logs and "
            f"history are required for audits), not {days}"
        )
    return days


def metrics_allow() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of ``YANPIAO_METRICS_ALLOW`` (loopback is always allowed)."""
    networks = []
    for item in os.environ.get("YANPIAO_METRICS_ALLOW", "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise config.ConfigError(
                f"YANPIAO_METRICS_ALLOW must be addresses or networks (CIDR), comma-separated; "
                f"{item.strip()!r} is neither"
            ) from None
    return tuple(networks)


def log_format() -> str:
    value = os.environ.get("YANPIAO_LOG_FORMAT", "").strip().lower() or "json"
    if value not in LOG_FORMATS:
        raise config.ConfigError(f"YANPIAO_LOG_FORMAT must be json or text, not {value!r}")
    return value


def metrics_directory(home: Path) -> Path:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` (unless set) to ``home/metrics`` and create it; the folder.

    Must run before ``prometheus_client`` is imported: it picks its way of keeping values then.
    Every process of a deployment loads the settings first, so they all count into the folder.
    """
    path = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(home / "metrics")))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
