"""History filters: parsed with an error per parameter at fault, applied to what the viewer may
see, and the registry-side filters only ever matching checks that revealed the invoice."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.history import scene as scenes
from yanpiao.access.visibility import verifications_visible_to
from yanpiao.history.filters import FilterError, HistoryFilter
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(register, make_user):
    return scenes.build(register, make_user)


def selected(viewer, **params) -> set[str]:
    rows = HistoryFilter.parse(params).apply(verifications_visible_to(viewer))
    return {str(public_id) for public_id in rows.values_list("public_id", flat=True)}


def ids(scene, *names) -> set[str]:
    return {scene.ids[name] for name in names}


# --- parsing -----------------------------------------------------------------------------------


def test_no_parameters_is_no_filter():
    assert HistoryFilter.parse({}) == HistoryFilter()
    assert HistoryFilter.parse({"outcome": " ", "to": ""}) == HistoryFilter()


def test_every_parameter_at_fault_is_named_with_its_reason():
    with pytest.raises(FilterError) as raised:
        HistoryFilter.parse(
            {
                "outcome": "authentic,genuine",
                "type": "99",
                "channel": "fax",
                "from": "yesterday",
                "to": "2026-02-30",
                "seller_tax_id": "not-a-tax-id!",
                "min_total": "12.345",
                "max_total": "NaN",
            }
        )
    fields = raised.value.fields
    assert list(fields) == [
        "outcome", "type", "channel", "from", "to", "seller_tax_id", "min_total", "max_total",
    ]  # fmt: skip
    assert "'genuine'" in fields["outcome"] and "authentic" in fields["outcome"]
    assert "'99'" in fields["type"] and "'fax'" in fields["channel"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),
        ({"min_total": "10", "max_total": "9.99"}, "max_total"),
        ({"min_total": "1e20"}, "min_total"),
        ({"max_total": "Infinity"}, "max_total"),
        ({"outcome": "x" * 300}, "outcome"),
        ({"seller_tax_id": "9111010"}, "seller_tax_id"),
    ],
)
def test_inconsistent_or_out_of_range_values_are_refused(params, field):
    with pytest.raises(FilterError) as raised:
        HistoryFilter.parse(params)
    assert field in raised.value.fields


def test_values_are_normalised():
    parsed = HistoryFilter.parse(
        {
            "outcome": "mismatch, authentic,mismatch",
            "type": "32",
            "seller_tax_id": " ９１１１０３０２ma01np925m ",
            "min_total": "-10",
            "max_total": "57.5",
        }
    )
    assert parsed.outcomes == ("mismatch", "authentic")
    assert parsed.seller_tax_id == "91110302MA01NP925M"
    assert (parsed.min_total, parsed.max_total) == (Decimal("-10.00"), Decimal("57.50"))
    assert parsed.looks_at_registry


def test_dates_cover_whole_days_in_the_site_time_zone_and_times_are_exact():
    parsed = HistoryFilter.parse({"from": "2026-03-01", "to": "2026-03-01"})
    start = timezone.make_aware(datetime.datetime(2026, 3, 1))
    assert parsed.checked_from == start
    assert parsed.checked_before == start + datetime.timedelta(days=1)
    # An offset whose "+" a client forgot to encode arrives as a space.
    for text in ("2026-03-01T08:00+08:00", "2026-03-01T08:00 08:00", "2026-03-01 08:00"):
        assert HistoryFilter.parse({"from": text}).checked_from == start + datetime.timedelta(hours=8), text
    moment = HistoryFilter.parse({"to": "2026-03-01T00:00:00Z"}).checked_before
    assert moment == datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=1)


# --- applying ----------------------------------------------------------------------------------


def test_filters_narrow_what_the_viewer_sees_and_never_widen_it(scene):
    assert selected(scene.actor) == scene.the_actors()
    assert selected(scene.outsider) == ids(scene, "outsider")
    assert selected(scene.auditor) == scene.everyone()
    assert selected(scene.actor, outcome="authentic") == ids(scene, "authentic")
    assert selected(scene.auditor, outcome="authentic") == ids(scene, "authentic", "outsider")
    assert selected(scene.actor, outcome="mismatch,not_found") == ids(scene, "mismatch", "not_found")
    assert selected(scene.actor, channel="api") == ids(scene, "authentic", "invalid")
    assert selected(scene.actor, channel="web,cli") == ids(scene, "mismatch", "voided")


def test_type_is_the_checks_type(scene):
    assert selected(scene.actor, type="32") == ids(scene, "authentic", "voided")
    assert selected(scene.actor, type="01") == ids(scene, "mismatch")
    assert selected(scene.actor, type="04") == ids(scene, "not_found")
    # A 数电票 typed without its type (31 and 32 look alike) is filed under the registered type,
    # but only where the outcome revealed the invoice.
    assert Verification.objects.get(public_id=scene.ids["authentic"]).invoice_type == "32"
    assert Verification.objects.get(public_id=scene.ids["invalid"]).invoice_type == ""


def test_dates(scene):
    today = timezone.localdate().isoformat()
    assert selected(scene.actor, **{"from": today, "to": today}) == scene.the_actors()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert selected(scene.actor, **{"from": tomorrow}) == set()
    Verification.objects.filter(public_id=scene.ids["mismatch"]).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert selected(scene.actor, to=yesterday) == ids(scene, "mismatch")
    assert ids(scene, "mismatch").isdisjoint(selected(scene.actor, **{"from": yesterday}))


def test_seller_tax_id_matches_only_checks_that_revealed_the_invoice(scene):
    assert selected(scene.actor, seller_tax_id=factories.SELLER.tax_id) == ids(scene, "authentic")
    # The actor's mismatch was on OTHER_SELLER's invoice: filtering by that seller must not find
    # it (it would tell them whose invoice it is); the colleague's voided check did reveal it.
    assert selected(scene.actor, seller_tax_id=scenes.OTHER_SELLER.tax_id) == ids(scene, "voided")
    assert selected(scene.auditor, seller_tax_id=scenes.OTHER_SELLER.tax_id) == ids(scene, "voided")
    assert selected(scene.actor, seller_tax_id=factories.tax_id(12345)) == set()


def test_the_seller_is_compared_by_blind_index_never_in_clear(scene):
    rows = HistoryFilter.parse({"seller_tax_id": factories.SELLER.tax_id}).apply(Verification.objects.all())
    sql = str(rows.query)
    assert factories.SELLER.tax_id not in sql and "tax_id_index" in sql


def test_totals_match_only_checks_that_revealed_the_invoice(scene):
    special_total = str(scene.special.total)  # the mismatch's registered total: never matched
    assert ids(scene, "mismatch").isdisjoint(selected(scene.actor, min_total=special_total))
    assert selected(scene.actor, min_total="0", max_total="999999") == ids(scene, "authentic", "voided")
    digital = str(scene.digital.total)
    assert selected(scene.actor, min_total=digital, max_total=digital) == ids(scene, "authentic")
    assert selected(scene.actor, min_total="1000") == ids(scene, "voided")
    assert selected(scene.actor, max_total="999.99") == ids(scene, "authentic")


def test_the_description_for_the_audit_log_holds_no_tax_id_in_clear():
    shown = HistoryFilter.parse({"seller_tax_id": factories.SELLER.tax_id, "outcome": "authentic"}).describe()
    assert shown["outcome"] == "authentic"
    assert factories.SELLER.tax_id not in str(shown) and shown["seller_tax_id_index"]
