"""The national platform's rule: one invoice at most 5 times a day per account, or per address."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import key_query
from yanpiao.verification import throttling
from yanpiao.verification.models import Verification
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


def wrong_dates(invoice, count):
    """The oracle attack: the same invoice with one issue date after another."""
    first = invoice.issue_date - datetime.timedelta(days=count)
    return [
        key_query(invoice, issue_date=(first + datetime.timedelta(days=n)).isoformat()) for n in range(count)
    ]


def test_an_anonymous_address_may_check_one_invoice_five_times_a_day(register):
    invoice = register(type="32")
    for query in wrong_dates(invoice, 5):
        assert verify(query, channel="web", client=ADDRESS).outcome == "mismatch"
    with pytest.raises(throttling.TooManyChecks) as refused:
        verify(key_query(invoice), channel="web", client=ADDRESS)
    tomorrow = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(
        days=1
    )
    assert refused.value.retry_at == tomorrow
    assert 0 < refused.value.retry_after <= 86400
    assert Verification.objects.count() == 5  # the refused check is not recorded as a verification


def test_the_limit_is_per_invoice_and_per_address(register):
    invoice, other = register(type="32"), register(type="32")
    for _ in range(5):
        verify(key_query(invoice), channel="web", client=ADDRESS)
    assert verify(key_query(other), channel="web", client=ADDRESS).outcome == "authentic"
    assert verify(key_query(invoice), channel="web", client="198.51.100.7").outcome == "authentic"


def test_a_signed_in_account_is_counted_wherever_it_comes_from(register, make_user):
    invoice, user = register(type="32"), make_user()
    for n in range(5):
        verify(key_query(invoice), actor=user, channel="web", client=f"198.51.100.{n}")
    with pytest.raises(throttling.TooManyChecks):
        verify(key_query(invoice), actor=user, channel="web", client="198.51.100.99")
    assert verify(key_query(invoice), actor=make_user(), channel="web", client=ADDRESS).outcome == "authentic"


def test_spaced_or_full_width_numbers_count_as_the_same_invoice(register):
    invoice = register(type="32")
    spaced = " ".join(invoice.number[i : i + 4] for i in range(0, 20, 4))
    for _ in range(5):
        verify(key_query(invoice, number=spaced), channel="web", client=ADDRESS)
    with pytest.raises(throttling.TooManyChecks):
        verify(key_query(invoice), channel="web", client=ADDRESS)


def test_the_daily_number_is_a_setting(register, settings):
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 2
    invoice = register(type="32")
    for _ in range(2):
        verify(key_query(invoice), channel="web", client=ADDRESS)
    with pytest.raises(throttling.TooManyChecks):
        verify(key_query(invoice), channel="web", client=ADDRESS)


def test_an_anonymous_address_is_throttled_across_invoices(register, settings):
    settings.YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE = 3
    invoices = [register(type="32") for _ in range(4)]
    for invoice in invoices[:3]:
        verify(key_query(invoice), channel="web", client=ADDRESS)
    with pytest.raises(throttling.TooManyChecks) as refused:
        verify(key_query(invoices[3]), channel="web", client=ADDRESS)
    assert refused.value.retry_after <= 60
    assert verify(key_query(invoices[3]), channel="web", client="198.51.100.7").outcome == "authentic"


def test_malformed_queries_count_against_the_address_but_not_an_invoice(register, settings):
    settings.YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE = 100
    invoice = register(type="32")
    for _ in range(8):
        assert verify(key_query(invoice, total="abc"), channel="web", client=ADDRESS).outcome == "invalid"
    assert verify(key_query(invoice), channel="web", client=ADDRESS).outcome == "authentic"


def test_the_operators_command_line_is_not_throttled(register):
    invoice = register(type="32")
    for _ in range(8):
        assert verify(key_query(invoice), channel="cli").outcome == "authentic"
