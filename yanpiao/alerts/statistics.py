"""Alerts and risk in numbers, for the auditor dashboard: alerts by kind, the riskiest sellers.

The riskiest sellers are those whose registered invoices the model scores highest on average
(:class:`~yanpiao.risk.models.InvoiceScore`, one GROUP BY), with what the last training saw of
each (:class:`~yanpiao.risk.models.SellerProfile`).  A seller's name and tax ID are encrypted
Party fields: read through the registry's reader, and given only to auditors and admins.
"""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count
from django.utils import timezone

from yanpiao.alerts.models import Alert
from yanpiao.registry.convert import party_from_row
from yanpiao.registry.models import Party
from yanpiao.risk.models import InvoiceScore, SellerProfile

SELLERS = 10  # the riskiest sellers shown
DAYS = 30


def by_kind(days: int = DAYS, now: datetime.datetime | None = None) -> dict[str, int]:
    """Alerts raised in the last ``days`` days, counted by kind, in the order of ``Alert.Kind``
    (only the kinds seen)."""
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    rows = Alert.objects.filter(created_at__gte=since).values_list("kind").annotate(n=Count("id")).order_by()
    counts = dict(rows)
    return {kind: counts[kind] for kind in Alert.Kind.values if kind in counts}


def riskiest_sellers(viewer, count: int = SELLERS) -> list[dict]:
    """The sellers with the highest average model score, riskiest first: ``{"seller_id",
    "name", "tax_id", "score", "invoices", "abnormal"}``.  Names and tax IDs to auditors and
    admins only: anyone else gets an empty list."""
    if not getattr(viewer, "has_staff_role", False):
        return []
    rows = list(
        InvoiceScore.objects.values_list("invoice__seller_id")
        .annotate(score=Avg("score"), invoices=Count("invoice_id"))
        .order_by("-score", "invoice__seller_id")[:count]
    )
    ids = [seller_id for seller_id, _score, _invoices in rows]
    parties = Party.objects.in_bulk(ids)
    profiles = SellerProfile.objects.in_bulk(ids)
    sellers = []
    for seller_id, score, invoices in rows:
        party = party_from_row(parties[seller_id])
        profile = profiles.get(seller_id)
        sellers.append(
            {
                "seller_id": seller_id,
                "name": party.name,
                "tax_id": party.tax_id,
                "score": round(score or 0),
                "invoices": invoices,
                "abnormal": profile.abnormal_invoices if profile else 0,
            }
        )
    return sellers
