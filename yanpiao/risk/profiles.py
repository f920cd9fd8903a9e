"""Sellers' profiles (:class:`~yanpiao.risk.models.SellerProfile`): every seller's amounts, issuing
rate and amounts near a limit, recomputed set-wise from the registry by each training (or alone by
:func:`recompute`) for the rules ``amount_outlier``, ``issuance_burst``, ``near_limit_amounts``
and ``seller_abnormal``.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.risk import features
from yanpiao.risk.models import SellerProfile

WEEK = 7  # days: the busiest day is looked for in the last week


def today_day() -> int:
    return (timezone.localdate() - features.EPOCH).days


def build(
    registry: features.Registry, figures: features.Sellers, today: int | None = None
) -> list[SellerProfile]:
    """The profiles of every seller of ``registry`` (not saved)."""
    today = today_day() if today is None else today
    daily_mean = figures.invoices / np.maximum(figures.days, 1)
    recent = (registry.issue_day > today - WEEK) & (registry.issue_day <= today)
    busiest = np.zeros(len(figures.ids))
    if recent.any():
        keys = figures.index[recent].astype(np.int64) * 1_000_000 + registry.issue_day[recent]
        seller_days, counts = np.unique(keys, return_counts=True)
        np.maximum.at(busiest, seller_days // 1_000_000, counts)
    ratio = busiest / np.maximum(daily_mean, 1e-9)
    now = timezone.now()
    return [
        SellerProfile(
            seller_id=int(seller),
            invoices=int(count),
            amount_log_mean=float(mean),
            amount_log_std=float(std),
            daily_mean=float(daily),
            busiest_day_ratio=float(busy),
            near_limit_share=float(near),
            abnormal_invoices=int(abnormal),
            updated_at=now,
        )
        for seller, count, mean, std, daily, busy, near, abnormal in zip(
            figures.ids.tolist(),
            figures.invoices.tolist(),
            figures.log_mean.tolist(),
            figures.log_std.tolist(),
            daily_mean.tolist(),
            ratio.tolist(),
            figures.near_limit_share.tolist(),
            figures.abnormal.tolist(),
            strict=True,
        )
    ]


def save(profiles: list[SellerProfile]) -> None:
    """Replace every profile by these, in one transaction."""
    with dbapi.serialized_writes(), transaction.atomic():
        SellerProfile.objects.all().delete()
        SellerProfile.objects.bulk_create(profiles, batch_size=2000)


def recompute(registry: features.Registry | None = None) -> int:
    """Recompute and save every seller's profile; how many sellers."""
    registry = registry if registry is not None else features.read()
    profiles = build(registry, features.sellers(registry))
    save(profiles)
    return len(profiles)


__all__ = ["build", "recompute", "save"]
