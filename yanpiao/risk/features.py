"""The learned model's features of every registered invoice, computed set-wise (a few SQL
statements and numpy, never a query per invoice).

:func:`read` takes what the registry and the verification history hold (:class:`Registry`);
:func:`compute` turns it into one row of :data:`FEATURES` per invoice.  Every feature has a name
(stored in :class:`~yanpiao.risk.models.InvoiceScore`'s ``top_features``) and plain words for an
explanation (:data:`WORDS`).

The verification history is read by its table's name (``verification_verification``), read-only:
the risk layer sits below verification and imports nothing of it.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Feature:
    name: str
    words: str  # why an invoice stands out by it, in plain English


FEATURES = (
    Feature("amount_deviation", "amount far from the seller's usual"),
    Feature("pair_novelty", "first invoices between this seller and this buyer"),
    Feature("registration_hour", "registered at an unusual hour"),
    Feature("registration_weekday", "registered on an unusual day of the week"),
    Feature("issue_lag_days", "registered long after (or before) its issue date"),
    Feature("seller_burst", "the seller issued far more than usual that day"),
    Feature("near_limit", "amount just under an issuance limit"),
    Feature("seller_near_limit_share", "the seller's amounts cluster under an issuance limit"),
    Feature("distinct_checkers", "checked by many different accounts"),
    Feature("mismatch_share", "many of its checks gave mismatching fields"),
)
NAMES = tuple(f.name for f in FEATURES)
WORDS = {f.name: f.words for f in FEATURES}

# Issuance limits (单张最高开票限额, yuan) and how far under one counts as "near".
LIMITS = (10_000.0, 100_000.0, 1_000_000.0)
NEAR_LIMIT = 0.03
SMALLEST_AMOUNT = 0.01  # ln(|total|) of a zero total
AMOUNT_LOG_STD_FLOOR = 0.25  # a seller with one amount is not infinitely surprised by another
FETCH_ROWS = 50_000
EPOCH = datetime.date(1970, 1, 1)


@dataclass
class Registry:
    """The registry's invoices as columns (one entry per invoice, in id order), and the
    verification history aggregated per invoice."""

    ids: np.ndarray  # int64
    seller: np.ndarray  # int64, the seller's party id
    buyer: np.ndarray  # int64
    total: np.ndarray  # float64, yuan
    issue_day: np.ndarray  # int64, days since 1970-01-01
    registered: np.ndarray  # float64, seconds since the epoch (UTC)
    abnormal: np.ndarray  # bool, status abnormal
    checkers: np.ndarray  # int64, distinct accounts that checked it
    checks: np.ndarray  # int64
    mismatches: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.ids)


def _sql() -> tuple[str, str]:
    """The vendor's SQL for the invoice columns and the history aggregate."""
    if connection.vendor == "postgresql":
        day = "(i.issue_date - DATE '1970-01-01')"
        seconds = "EXTRACT(EPOCH FROM i.registered_at)::float8"
        total = "i.total::float8"
    else:
        day = "CAST(julianday(i.issue_date) - 2440587.5 AS INTEGER)"
        seconds = "(julianday(i.registered_at) - 2440587.5) * 86400.0"
        total = "CAST(i.total AS REAL)"
    invoices = f"""
        SELECT i.id, i.seller_id, i.buyer_id, {total}, {day}, {seconds},
               CASE WHEN i.status = 'abnormal' THEN 1 ELSE 0 END
          FROM registry_invoice i ORDER BY i.id
    """  # nosec B608  # SQL expressions chosen per database vendor, no input
    history = """
        SELECT invoice_id, COUNT(DISTINCT actor_id), COUNT(*),
               SUM(CASE WHEN outcome = 'mismatch' THEN 1 ELSE 0 END)
          FROM verification_verification
         WHERE invoice_id IS NOT NULL
         GROUP BY invoice_id
    """
    return invoices, history


def _rows(sql: str, width: int) -> np.ndarray:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        parts = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            parts.append(np.array(rows, dtype=np.float64))
    return np.concatenate(parts) if parts else np.empty((0, width))


def read() -> Registry:
    """Every registered invoice and its checks, in a few statements."""
    invoices_sql, history_sql = _sql()
    rows = _rows(invoices_sql, 7)
    ids = rows[:, 0].astype(np.int64)
    history = _rows(history_sql, 4)
    checkers = np.zeros(len(ids), dtype=np.int64)
    checks = np.zeros(len(ids), dtype=np.int64)
    mismatches = np.zeros(len(ids), dtype=np.int64)
    if len(history) and len(ids):
        where = np.searchsorted(ids, history[:, 0].astype(np.int64))
        found = (where < len(ids)) & (ids[np.minimum(where, len(ids) - 1)] == history[:, 0])
        where, history = where[found], history[found]
        checkers[where] = history[:, 1]
        checks[where] = history[:, 2]
        mismatches[where] = history[:, 3]
    return Registry(
        ids=ids,
        seller=rows[:, 1].astype(np.int64),
        buyer=rows[:, 2].astype(np.int64),
        total=rows[:, 3],
        issue_day=rows[:, 4].astype(np.int64),
        registered=rows[:, 5],
        abnormal=rows[:, 6] > 0,
        checkers=checkers,
        checks=checks,
        mismatches=mismatches,
    )


def log_amount(total: np.ndarray) -> np.ndarray:
    """ln(|total|): red-letter invoices' negative totals count by their size."""
    return np.log(np.maximum(np.abs(total), SMALLEST_AMOUNT))


def near_limit(total: np.ndarray) -> np.ndarray:
    """Whether each total lies within 3 % under an issuance limit.

    >>> near_limit(np.array([9_800.0, 10_000.0, 9_600.0, 99_999.0, 970_000.0])).tolist()
    [True, False, False, True, True]
    """
    near = np.zeros(len(total), dtype=bool)
    for limit in LIMITS:
        near |= (total >= limit * (1 - NEAR_LIMIT)) & (total < limit)
    return near


@dataclass
class Sellers:
    """Per-seller figures, indexed by the seller's position in ``ids`` (``index`` maps each
    invoice to its seller's position)."""

    ids: np.ndarray
    index: np.ndarray
    invoices: np.ndarray
    log_mean: np.ndarray
    log_std: np.ndarray
    days: np.ndarray  # distinct issue days
    near_limit_share: np.ndarray
    abnormal: np.ndarray


def sellers(registry: Registry) -> Sellers:
    ids, index = np.unique(registry.seller, return_inverse=True)
    count = np.bincount(index, minlength=len(ids)).astype(np.float64)
    logs = log_amount(registry.total)
    mean = np.bincount(index, logs, minlength=len(ids)) / np.maximum(count, 1)
    square = np.bincount(index, logs * logs, minlength=len(ids)) / np.maximum(count, 1)
    std = np.sqrt(np.maximum(square - mean * mean, 0.0))
    seller_days = np.unique(index.astype(np.int64) * 1_000_000 + registry.issue_day)
    days = np.bincount(seller_days // 1_000_000, minlength=len(ids))
    near = np.bincount(index, near_limit(registry.total), minlength=len(ids)) / np.maximum(count, 1)
    abnormal = np.bincount(index, registry.abnormal, minlength=len(ids))
    return Sellers(ids, index, count, mean, std, days, near, abnormal.astype(np.int64))


def _group_counts(keys: np.ndarray) -> np.ndarray:
    """For each entry, how many entries share its key."""
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse]


def _earlier_in_group(keys: np.ndarray, order_by: np.ndarray) -> np.ndarray:
    """For each entry, how many entries of its key come before it (by ``order_by``, then position)."""
    order = np.lexsort((np.arange(len(keys)), order_by, keys))
    sorted_keys = keys[order]
    starts = (
        np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1] if len(keys) else np.array([], int)
    )
    group_start = np.zeros(len(keys), dtype=np.int64)
    if len(keys):
        marks = np.zeros(len(keys), dtype=np.int64)
        marks[starts] = starts
        group_start = np.maximum.accumulate(marks)
    earlier = np.empty(len(keys), dtype=np.int64)
    earlier[order] = np.arange(len(keys)) - group_start
    return earlier


def local_offset_seconds() -> float:
    """The site's time zone's offset from UTC now (hour and weekday are read in local time)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offset = datetime.datetime.now(zone).utcoffset()
    return offset.total_seconds() if offset else 0.0


def compute(registry: Registry, figures: Sellers | None = None) -> np.ndarray:
    """The features of every invoice: an array of len(registry) rows and len(FEATURES) columns."""
    figures = figures or sellers(registry)
    n = len(registry)
    index = figures.index
    logs = log_amount(registry.total)
    std = np.maximum(figures.log_std[index], AMOUNT_LOG_STD_FLOOR)
    deviation = np.abs(logs - figures.log_mean[index]) / std

    pairs = registry.seller * (int(registry.buyer.max()) + 1 if n else 1) + registry.buyer
    earlier = _earlier_in_group(pairs, registry.issue_day)
    novelty = 1.0 / (1.0 + earlier)

    local = registry.registered + local_offset_seconds()
    hour = np.floor(local / 3600.0) % 24
    weekday = (np.floor(local / 86400.0) + 3) % 7  # 1970-01-01 was a Thursday: Monday is 0
    lag = registry.registered / 86400.0 - registry.issue_day

    daily_mean = figures.invoices / np.maximum(figures.days, 1)
    that_day = _group_counts(index.astype(np.int64) * 1_000_000 + registry.issue_day)
    burst = that_day / daily_mean[index]

    checked = np.maximum(registry.checks, 1)
    return np.column_stack(
        [
            deviation,
            novelty,
            hour,
            weekday,
            lag,
            burst,
            near_limit(registry.total).astype(np.float64),
            figures.near_limit_share[index],
            registry.checkers.astype(np.float64),
            registry.mismatches / checked,
        ]
    )


__all__ = ["FEATURES", "NAMES", "WORDS", "Feature", "Registry", "Sellers", "compute", "read", "sellers"]
