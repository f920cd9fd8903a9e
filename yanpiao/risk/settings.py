"""The risk rules' thresholds and weights, declared once: the defaults here, each overridable by
the environment (``YANPIAO_RISK_<NAME>``, read into ``settings.YANPIAO_RISK_RULES`` at start-up)
or by tests (``settings.YANPIAO_RISK_RULES = {...}``: the names given replace the defaults).

Fractions are whole percentages, windows whole minutes, amounts whole yuan, so that every value
is one whole number in the environment; ``issuance_limits_yuan`` is a comma-separated list there.

>>> current().probing_window
datetime.timedelta(seconds=600)
>>> from_environment({"YANPIAO_RISK_BURST_RATIO": "7"})["burst_ratio"]
7
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from yanpiao import config
from yanpiao.risk import codes

WEIGHTS = {
    codes.FORGED_CERTIFICATE: 90,
    codes.FORGERY_PROBING: 85,
    codes.DUPLICATE_REIMBURSEMENT: 80,
    codes.ENUMERATION: 75,
    codes.INVALID_STATUS_PRESENTED: 70,
    codes.REPORTED_BY_USER: 60,
    codes.SELLER_ABNORMAL: 60,
    codes.AMOUNT_OUTLIER: 50,
    codes.ISSUANCE_BURST: 50,
    codes.NEAR_LIMIT_AMOUNTS: 45,
}
assert set(WEIGHTS) == set(codes.RULES)

DEFAULTS: dict[str, Any] = {
    # forgery_probing: this many mismatches of one invoice key from one account or address ...
    "probing_mismatches": 5,
    "probing_minutes": 10,  # ... in a window of this many minutes
    # enumeration: this many not_found from one account or address in the window
    "enumeration_not_found": 30,
    "enumeration_minutes": 10,
    # amount_outlier: |ln(total) - mean| / max(std, floor) at least this, the seller having enough invoices
    "outlier_deviations": 4,
    "outlier_std_floor_percent": 25,
    "outlier_min_invoices": 20,
    # issuance_burst: busiest day of the last week over the daily mean, for a seller issuing daily
    "burst_ratio": 5,
    "burst_daily_mean": 1,
    # near_limit_amounts: the seller's share of invoices just under a limit, and this one just under
    "near_limit_share_percent": 50,
    "near_limit_min_invoices": 10,
    "near_limit_margin_percent": 3,
    "issuance_limits_yuan": (10_000, 100_000, 1_000_000),
    # model: the learned model's score (0-100) from which it becomes a reason
    "model_threshold": 60,
    **{f"weight_{code}": weight for code, weight in WEIGHTS.items()},
}


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The thresholds as the environment sets them (``YANPIAO_RISK_<NAME>``), the defaults otherwise;
    a malformed value raises :class:`yanpiao.config.ConfigError`."""
    environ = os.environ if environ is None else environ
    read: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        variable = f"YANPIAO_RISK_{name.upper()}"
        raw = (environ.get(variable) or "").strip()
        if not raw:
            read[name] = default
        elif isinstance(default, tuple):
            try:
                read[name] = tuple(sorted(int(part) for part in raw.split(",") if part.strip()))
            except ValueError:
                raise config.ConfigError(
                    f"{variable} must be whole numbers separated by commas, not {raw!r}"
                ) from None
            if not read[name] or min(read[name]) <= 0:
                raise config.ConfigError(f"{variable} must list positive amounts in yuan, not {raw!r}")
        else:
            try:
                read[name] = int(raw)
            except ValueError:
                raise config.ConfigError(f"{variable} must be a whole number, not {raw!r}") from None
            if read[name] < 0:
                raise config.ConfigError(f"{variable} must be at least 0, not {read[name]}")
    return read


@dataclass(frozen=True)
class Thresholds:
    """The values the rules use, in the units they compute with."""

    probing_mismatches: int
    probing_window: datetime.timedelta
    enumeration_not_found: int
    enumeration_window: datetime.timedelta
    outlier_deviations: float
    outlier_std_floor: float
    outlier_min_invoices: int
    burst_ratio: float
    burst_daily_mean: float
    near_limit_share: float
    near_limit_min_invoices: int
    near_limit_margin: Decimal
    issuance_limits: tuple[Decimal, ...]
    model_threshold: int
    weights: Mapping[str, int]

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Thresholds:
        v = {**DEFAULTS, **values}
        return cls(
            probing_mismatches=int(v["probing_mismatches"]),
            probing_window=datetime.timedelta(minutes=int(v["probing_minutes"]) or 1),
            enumeration_not_found=int(v["enumeration_not_found"]),
            enumeration_window=datetime.timedelta(minutes=int(v["enumeration_minutes"]) or 1),
            outlier_deviations=float(v["outlier_deviations"]),
            outlier_std_floor=float(v["outlier_std_floor_percent"]) / 100,
            outlier_min_invoices=int(v["outlier_min_invoices"]),
            burst_ratio=float(v["burst_ratio"]),
            burst_daily_mean=float(v["burst_daily_mean"]),
            near_limit_share=float(v["near_limit_share_percent"]) / 100,
            near_limit_min_invoices=int(v["near_limit_min_invoices"]),
            near_limit_margin=Decimal(v["near_limit_margin_percent"]) / 100,
            issuance_limits=tuple(Decimal(limit) for limit in v["issuance_limits_yuan"]),
            model_threshold=int(v["model_threshold"]),
            weights={code: int(v[f"weight_{code}"]) for code in codes.RULES},
        )


_NONE: Mapping[str, Any] = {}
_cache: tuple[object, Thresholds] | None = None


def current() -> Thresholds:
    """The thresholds of ``settings.YANPIAO_RISK_RULES`` (computed once per value of the setting)."""
    global _cache
    values = getattr(settings, "YANPIAO_RISK_RULES", None) or _NONE
    if _cache is None or _cache[0] is not values:
        _cache = (values, Thresholds.of(values))
    return _cache[1]


def enabled() -> bool:
    """Whether checks are assessed at all (``YANPIAO_RISK_ENABLED``)."""
    return getattr(settings, "YANPIAO_RISK_ENABLED", True)
