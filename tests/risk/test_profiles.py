"""Sellers' profiles, recomputed set-wise from the registry."""

import datetime
import math

import pytest
from django.utils import timezone

from tests import factories
from yanpiao.registry import services as registry
from yanpiao.risk import profiles
from yanpiao.risk.models import SellerProfile

OTHER_SELLER = factories.SELLER.__class__(name="北京远山餐饮有限公司", tax_id=factories.tax_id(91))


def one_line(amount: str, **fields):
    return factories.invoice(items=(factories.item(amount),), **fields)


def test_a_sellers_profile_holds_its_amounts_rate_and_amounts_near_a_limit(register):
    today = timezone.localdate()
    for day, amount in ((1, "100.00"), (1, "200.00"), (2, "9300.00"), (30, "400.00")):
        register(one_line(amount, issue_date=today - datetime.timedelta(days=day)))
    register(one_line("50.00", seller=OTHER_SELLER))
    assert profiles.recompute() == 2
    profile = SellerProfile.objects.order_by("-invoices").first()
    logs = [math.log(a * 1.06) for a in (100, 200, 9300, 400)]
    mean = sum(logs) / 4
    assert profile.invoices == 4
    assert profile.amount_log_mean == pytest.approx(mean)
    assert profile.amount_log_std == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in logs) / 4))
    assert profile.daily_mean == pytest.approx(4 / 3)  # four invoices on three days
    assert profile.busiest_day_ratio == pytest.approx(2 / (4 / 3))  # two yesterday
    assert profile.near_limit_share == pytest.approx(0.25)
    assert profile.abnormal_invoices == 0


def test_recomputing_replaces_the_profiles_and_counts_abnormal_invoices(register):
    invoice = register(one_line("100.00"))
    profiles.recompute()
    registry.flag_abnormal(invoice.key, reason="失控")
    profiles.recompute()
    assert SellerProfile.objects.count() == 1
    assert SellerProfile.objects.get().abnormal_invoices == 1


def test_a_seller_without_invoices_in_the_last_week_has_no_busiest_day(register):
    register(one_line("100.00", issue_date=datetime.date(2025, 3, 7)))
    profiles.recompute()
    assert SellerProfile.objects.get().busiest_day_ratio == 0
