"""What the risk rules remember: presentations, marks and windows of counts."""

import datetime

import pytest
from django.utils import timezone

from yanpiao.registry import services as registry
from yanpiao.risk import codes, signals
from yanpiao.risk.models import InvoiceMark, Presentation
from yanpiao.security import throttle
from yanpiao.security.models import ThrottleWindow

AT = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 1))


@pytest.fixture
def row(register):
    return registry.find_row(register().key)


def test_a_presenter_is_the_organisation_else_the_account_and_never_an_anonymous_check():
    assert signals.presenter(5, "ab12") == "org:ab12"
    assert signals.presenter(5, "") == "account:5"
    assert signals.presenter(None, "") is None


def test_presenting_again_counts_up_one_row_per_presenter(row):
    signals.present(row.id, "org:ab12", AT)
    signals.present(row.id, "org:ab12", AT + datetime.timedelta(minutes=5))
    signals.present(row.id, "account:9", AT)
    assert signals.distinct_presenters(row.id) == 2
    stored = Presentation.objects.get(invoice_id=row.id, presenter=signals.presenter_digest("org:ab12"))
    assert (stored.count, stored.first_at, stored.last_at) == (2, AT, AT + datetime.timedelta(minutes=5))


def test_only_a_keyed_digest_of_the_presenter_is_stored(row):
    signals.present(row.id, "org:ab12", AT)
    [stored] = Presentation.objects.values_list("presenter", flat=True)
    assert "ab12" not in stored and len(stored) == 64


def test_present_many_is_present_for_each(register):
    first, second = (registry.find_row(register().key) for _ in range(2))
    signals.present_many(
        [
            (first.id, "org:a", AT),
            (first.id, "org:a", AT),
            (first.id, "org:b", AT),
            (second.id, "account:1", AT),
        ]
    )
    signals.present_many([(first.id, "org:a", AT + datetime.timedelta(hours=1))])
    counts = dict(Presentation.objects.values_list("presenter", "count").filter(invoice_id=first.id))
    assert counts == {signals.presenter_digest("org:a"): 3, signals.presenter_digest("org:b"): 1}
    assert signals.presenters_of([first.id, second.id]) == {
        first.id: {signals.presenter_digest("org:a"), signals.presenter_digest("org:b")},
        second.id: {signals.presenter_digest("account:1")},
    }


def test_a_mark_is_counted_by_kind(row):
    signals.mark(row.id, InvoiceMark.Kind.REPORTED_BY_USER)
    signals.mark(row.id, InvoiceMark.Kind.REPORTED_BY_USER)
    signals.mark(row.id, InvoiceMark.Kind.FORGED_CERTIFICATE)
    assert dict(InvoiceMark.objects.values_list("kind", "count")) == {
        codes.REPORTED_BY_USER: 2,
        codes.FORGED_CERTIFICATE: 1,
    }


def test_a_mark_of_no_known_kind_is_refused(row):
    with pytest.raises(ValueError, match="not a kind"):
        signals.mark(row.id, "gossip")


def test_windows_count_per_account_or_address_and_start_afresh(db):
    assert signals.count_not_found("address:10.0.0.1", AT) == 1
    assert signals.count_not_found("address:10.0.0.1", AT + datetime.timedelta(minutes=1)) == 2
    assert signals.count_not_found("account:3", AT) == 1
    assert signals.count_not_found("address:10.0.0.1", AT + datetime.timedelta(minutes=10)) == 1
    assert signals.count_mismatch("account:3", "", "26112000000000000001", AT) == 1


def test_the_counters_hold_no_address_or_invoice_number(db):
    signals.count_mismatch("address:10.0.0.1", "", "26112000000000000001", AT)
    [key] = ThrottleWindow.objects.values_list("key", flat=True)
    assert "10.0.0.1" not in key and "2611200" not in key


def test_count_many_returns_what_each_key_held_before(db):
    limit = signals.not_found_limit()
    signals.count_not_found("account:1", AT)
    assert signals.count_many(limit, {("account:1",): 3, ("account:2",): 2}, AT) == {
        ("account:1",): 1,
        ("account:2",): 0,
    }
    assert signals.window_counts(limit, [("account:1",), ("account:2",), ("account:3",)], AT) == {
        ("account:1",): 4,
        ("account:2",): 2,
        ("account:3",): 0,
    }


def test_tally_counts_past_any_limit_and_never_refuses(db):
    limit = throttle.Limit("test.tally", 2, datetime.timedelta(minutes=1))
    assert [throttle.tally(limit, "k", now=AT) for _ in range(4)] == [1, 2, 3, 4]
    assert throttle.tally(limit, "k", now=AT, times=3) == 7


def test_an_anonymous_check_is_watched_by_its_address_and_the_command_line_not_at_all():
    assert signals.who(None, "2001:db8::1") == "address:2001:db8::/64"
    assert signals.who(None, None) is None
