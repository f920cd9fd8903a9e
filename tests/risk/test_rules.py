"""Each risk rule fires on its scenario and stays quiet on ordinary traffic."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from yanpiao.accounts.models import Organisation
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services as registry
from yanpiao.risk import codes, rules, signals
from yanpiao.risk.assessment import Event, assess
from yanpiao.risk.models import InvoiceScore, SellerProfile


@pytest.fixture
def registered(register):
    """Register an invoice; returns its registry row."""

    def _registered(**fields):
        invoice = register(**fields)
        return registry.find_row(invoice.key)

    return _registered


def event(outcome, row=None, actor_id=None, organisation=None, client=None, code="", number="", at=None):
    return Event(
        actor_id=actor_id,
        organisation_index=organisation.tax_id_index if organisation else "",
        client=client,
        channel="web",
        outcome=outcome,
        code=row.code if row else code,
        number=row.number if row else number,
        invoice_id=row.id if row else None,
        at=at or timezone.now(),
    )


def codes_of(assessment):
    return [reason.code for reason in assessment.reasons]


def profile(row, **fields):
    values = {
        "invoices": 200,
        "amount_log_mean": 5.1,
        "amount_log_std": 0.5,
        "daily_mean": 3.0,
        "busiest_day_ratio": 1.5,
        "near_limit_share": 0.0,
        "abnormal_invoices": 0,
        **fields,
    }
    return SellerProfile.objects.update_or_create(seller_id=row.seller_id, defaults=values)[0]


@pytest.fixture
def organisations(db):
    return (
        Organisation.objects.create(name="甲公司报销中心", tax_id=factories.tax_id(901)),
        Organisation.objects.create(name="乙公司财务部", tax_id=factories.tax_id(902)),
    )


def test_an_invoice_presented_by_a_second_organisation_is_a_duplicate_reimbursement(
    registered, organisations
):
    row = registered()
    first, second = organisations
    assert assess(event("authentic", row, actor_id=1, organisation=first)).reasons == ()
    assessment = assess(event("authentic", row, actor_id=2, organisation=second))
    assert codes_of(assessment) == [codes.DUPLICATE_REIMBURSEMENT]
    assert assessment.level == codes.HIGH


def test_two_accounts_outside_any_organisation_are_two_presenters(registered):
    row = registered()
    assess(event("authentic", row, actor_id=1))
    assert codes_of(assess(event("authentic", row, actor_id=2))) == [codes.DUPLICATE_REIMBURSEMENT]


def test_one_organisation_checking_again_anonymous_checks_and_the_command_line_are_no_duplicate(
    registered, organisations
):
    row = registered()
    first, _ = organisations
    assess(event("authentic", row, actor_id=1, organisation=first))
    assert assess(event("authentic", row, actor_id=3, organisation=first)).reasons == ()  # a colleague
    assert assess(event("authentic", row, client="10.0.0.9")).reasons == ()
    assert assess(event("authentic", row)).reasons == ()
    assert signals.distinct_presenters(row.id) == 1


def test_a_duplicate_names_neither_the_other_organisation_nor_its_tax_id(registered, organisations):
    row = registered()
    first, second = organisations
    assess(event("authentic", row, actor_id=1, organisation=first))
    [reason] = assess(event("authentic", row, actor_id=2, organisation=second)).reasons
    for secret in (first.name, first.tax_id, first.tax_id_index, "org:", "account:1"):
        assert secret not in reason.message


@pytest.mark.parametrize("outcome", ["voided", "red_flushed", "abnormal"])
def test_presenting_an_invoice_of_an_invalid_status_is_a_reason(registered, outcome):
    row = registered()
    assessment = assess(event(outcome, row, actor_id=1))
    assert codes_of(assessment) == [codes.INVALID_STATUS_PRESENTED]
    assert assessment.level == codes.HIGH


def test_an_authentic_or_mismatching_check_is_no_invalid_status(registered):
    row = registered()
    assert assess(event("authentic", row, actor_id=1)).reasons == ()
    assert assess(event("mismatch", row, actor_id=1)).reasons == ()


def test_five_mismatches_of_one_key_within_ten_minutes_are_forgery_probing(registered):
    row = registered()
    found = [assess(event("mismatch", row, actor_id=1)) for _ in range(5)]
    assert [codes_of(a) for a in found] == [[], [], [], [], [codes.FORGERY_PROBING]]
    assert "5 checks" in found[-1].reasons[0].message
    # ... and the check that finally matches carries it too
    assert codes.FORGERY_PROBING in codes_of(assess(event("authentic", row, actor_id=1)))


def test_mismatches_of_different_verifiers_or_keys_are_no_probing(registered):
    row, other = registered(), registered()
    for actor_id in range(1, 4):
        assert assess(event("mismatch", row, actor_id=actor_id)).reasons == ()
    assert assess(event("mismatch", row, client="10.0.0.1")).reasons == ()
    assert assess(event("mismatch", other, actor_id=1)).reasons == ()
    assert assess(event("mismatch", row)).reasons == ()  # the command line is not watched


def test_thirty_not_found_from_one_address_are_enumeration(db):
    found = [
        assess(event("not_found", client="198.51.100.7", code="", number=f"261120000000000{n:05d}"))
        for n in range(30)
    ]
    assert all(a.reasons == () for a in found[:29])
    assert codes_of(found[29]) == [codes.ENUMERATION]


def test_a_few_not_found_from_many_accounts_are_no_enumeration(db):
    for actor_id in range(1, 40):
        assert assess(event("not_found", actor_id=actor_id, number="26112000000000099999")).reasons == ()


def test_a_total_far_from_the_sellers_usual_is_an_amount_outlier(registered):
    usual = registered()  # 170.98 yuan: ln = 5.14
    profile(usual, amount_log_mean=5.1, amount_log_std=0.3, invoices=50)
    assert assess(event("authentic", usual, actor_id=1)).reasons == ()
    huge = registered(items=(factories.item("90000.00"),))
    assessment = assess(event("authentic", huge, actor_id=1))
    assert codes_of(assessment) == [codes.AMOUNT_OUTLIER]
    assert assessment.level == codes.MEDIUM


def test_a_seller_with_few_invoices_has_no_amount_outlier(registered):
    huge = registered(items=(factories.item("90000.00"),))
    profile(huge, amount_log_mean=5.1, amount_log_std=0.3, invoices=19)
    assert assess(event("authentic", huge, actor_id=1)).reasons == ()


def test_a_seller_issuing_five_times_its_rate_is_an_issuance_burst(registered):
    row = registered()
    profile(row, busiest_day_ratio=6.0, daily_mean=2.0)
    assert codes_of(assess(event("authentic", row, actor_id=1))) == [codes.ISSUANCE_BURST]
    profile(row, busiest_day_ratio=6.0, daily_mean=0.5)  # issues less than once a day: bursts mean little
    assert assess(event("authentic", row, actor_id=1)).reasons == ()
    profile(row, busiest_day_ratio=2.0, daily_mean=2.0)
    assert assess(event("authentic", row, actor_id=1)).reasons == ()


def test_a_total_just_under_a_limit_from_a_seller_whose_amounts_cluster_there_is_near_limit(registered):
    under = registered(items=(factories.item("9250.00"),))  # 9,805.00 yuan: within 3% under 10,000
    profile(under, near_limit_share=0.6, invoices=30, amount_log_mean=7.2, amount_log_std=1.5)
    assessment = assess(event("authentic", under, actor_id=1))
    assert codes_of(assessment) == [codes.NEAR_LIMIT_AMOUNTS]
    assert "10,000 yuan" in assessment.reasons[0].message
    ordinary = registered()
    assert assess(event("authentic", ordinary, actor_id=1)).reasons == ()


def test_a_seller_whose_amounts_seldom_sit_under_a_limit_has_no_near_limit(registered):
    under = registered(items=(factories.item("9250.00"),))
    profile(under, near_limit_share=0.2, invoices=30, amount_log_mean=9.19)
    assert assess(event("authentic", under, actor_id=1)).reasons == ()


def test_an_invoice_of_a_seller_with_abnormal_invoices_says_so(registered):
    row = registered()
    profile(row, abnormal_invoices=2)
    assert codes_of(assess(event("authentic", row, actor_id=1))) == [codes.SELLER_ABNORMAL]


def test_an_abnormal_invoice_is_not_counted_twice(registered):
    row = registered()
    registry.flag_abnormal(InvoiceKey(row.code, row.number), "失控")
    profile(row, abnormal_invoices=1)
    assert codes_of(assess(event("abnormal", row, actor_id=1))) == [codes.INVALID_STATUS_PRESENTED]


def test_a_seller_without_abnormal_invoices_is_no_reason(registered):
    row = registered()
    profile(row)
    assert assess(event("authentic", row, actor_id=1)).reasons == ()


@pytest.mark.parametrize("kind", [codes.FORGED_CERTIFICATE, codes.REPORTED_BY_USER])
def test_a_marked_invoice_carries_its_mark_on_every_later_check(registered, kind):
    row, unmarked = registered(), registered()
    signals.mark(row.id, kind)
    assert codes_of(assess(event("authentic", row, actor_id=1))) == [kind]
    assert codes_of(assess(event("authentic", row, client="10.0.0.1"))) == [kind]
    assert assess(event("authentic", unmarked, actor_id=1)).reasons == ()


def test_a_mark_is_not_told_to_a_check_that_is_not_shown_the_invoice(registered):
    row = registered()
    signals.mark(row.id, codes.REPORTED_BY_USER)
    assert assess(event("mismatch", row, actor_id=1)).reasons == ()


def test_a_high_model_score_is_a_reason_in_words(registered):
    row = registered()
    InvoiceScore.objects.create(
        invoice_id=row.id, version=1, score=82, top_features=["amount_deviation", "pair_novelty"]
    )
    [reason] = assess(event("authentic", row, actor_id=1)).reasons
    assert (reason.code, reason.score) == (codes.MODEL, 82)
    assert reason.message == (
        "the model finds this invoice unusual: amount far from the seller's usual, "
        "first invoices between this seller and this buyer"
    )


def test_a_low_model_score_is_no_reason(registered):
    row = registered()
    InvoiceScore.objects.create(invoice_id=row.id, version=1, score=59, top_features=["amount_deviation"])
    assert assess(event("authentic", row, actor_id=1)).reasons == ()


def test_thresholds_and_weights_are_settings(registered, settings):
    row = registered()
    settings.YANPIAO_RISK_RULES = {"probing_mismatches": 2, "weight_forgery_probing": 99}
    assess(event("mismatch", row, actor_id=1))
    [reason] = assess(event("mismatch", row, actor_id=1)).reasons
    assert (reason.code, reason.score) == (codes.FORGERY_PROBING, 99)


def test_near_limit_is_within_the_margin_below_a_limit():
    limits, margin = (Decimal(10_000), Decimal(100_000)), Decimal("0.03")
    assert rules.near_limit(Decimal("99000.00"), limits, margin) == Decimal(100_000)
    assert rules.near_limit(Decimal("10000.00"), limits, margin) is None
    assert rules.near_limit(Decimal("9699.99"), limits, margin) is None
