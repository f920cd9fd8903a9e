"""The assessment of checks: one at a time and set-wise give the same answers, ordinary traffic
stays low, and turning risk off touches nothing."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from tests import factories
from tests.risk.test_rules import event, profile
from yanpiao.accounts.models import Organisation
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services as registry
from yanpiao.risk import codes, signals
from yanpiao.risk.assessment import NONE, assess, assess_many
from yanpiao.risk.models import InvoiceScore, Presentation
from yanpiao.security.models import ThrottleWindow

AT = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 1))


@pytest.fixture
def organisations(db):
    return (
        Organisation.objects.create(name="甲公司报销中心", tax_id=factories.tax_id(911)),
        Organisation.objects.create(name="乙公司财务部", tax_id=factories.tax_id(912)),
    )


def rows(register, count, **fields):
    return [registry.find_row(register(**fields).key) for _ in range(count)]


def mixed_traffic(register, organisations):
    """Checks of every kind, with every rule firing somewhere."""
    first, second = organisations
    plain, reported, scored, huge = rows(register, 4)
    voided = rows(register, 1)[0]
    registry.void(InvoiceKey(voided.code, voided.number), "作废")
    profile(plain, invoices=100, amount_log_mean=5.1, amount_log_std=0.3, abnormal_invoices=1)
    signals.mark(reported.id, codes.REPORTED_BY_USER)
    InvoiceScore.objects.create(invoice_id=scored.id, version=1, score=75, top_features=["pair_novelty"])
    events = [
        event("authentic", plain, actor_id=1, organisation=first, at=AT),
        event("authentic", plain, actor_id=2, organisation=second, at=AT),
        event("authentic", plain, actor_id=1, organisation=first, at=AT),
        event("authentic", reported, actor_id=3, at=AT),
        event("authentic", scored, client="10.1.1.1", at=AT),
        event("voided", voided, actor_id=4, organisation=second, at=AT),
        *[event("mismatch", huge, actor_id=5, at=AT) for _ in range(6)],
        event("authentic", huge, actor_id=5, at=AT),
        event("mismatch", huge, actor_id=6, at=AT),
        *[
            event("not_found", client="203.0.113.5", number=f"2611200000000008{n:04d}", at=AT)
            for n in range(31)
        ],
        event("invalid", actor_id=1, at=AT),
        event("not_found", at=AT),
    ]
    return events


def test_assess_many_gives_the_same_assessments_as_assess_one_by_one(register, organisations):
    events = mixed_traffic(register, organisations)
    with transaction.atomic():
        one_by_one = [assess(e) for e in events]
        presentations = sorted(Presentation.objects.values_list("invoice_id", "presenter", "count"))
        windows = sorted(ThrottleWindow.objects.values_list("key", "count"))
        transaction.set_rollback(True)
    assert assess_many(events) == one_by_one
    assert sorted(Presentation.objects.values_list("invoice_id", "presenter", "count")) == presentations
    assert sorted(ThrottleWindow.objects.values_list("key", "count")) == windows
    fired = {reason.code for assessment in one_by_one for reason in assessment.reasons}
    assert fired == {
        codes.DUPLICATE_REIMBURSEMENT,
        codes.SELLER_ABNORMAL,
        codes.REPORTED_BY_USER,
        codes.MODEL,
        codes.INVALID_STATUS_PRESENTED,
        codes.FORGERY_PROBING,
        codes.ENUMERATION,
    }


def test_assess_many_goes_on_from_what_earlier_checks_counted(register, organisations):
    events = mixed_traffic(register, organisations)
    with transaction.atomic():
        one_by_one = [assess(e) for e in events]
        transaction.set_rollback(True)
    middle = len(events) // 2
    assert [assess(e) for e in events[:middle]] + assess_many(events[middle:]) == one_by_one


def test_no_message_names_another_organisation(register, organisations):
    events = mixed_traffic(register, organisations)
    messages = [reason.message for e in events for reason in assess(e).reasons]
    assert messages
    for organisation in organisations:
        for secret in (organisation.name, organisation.tax_id, organisation.tax_id_index):
            assert not any(secret in message for message in messages)


def test_an_organisation_checking_300_genuine_invoices_with_a_typo_stays_low(register, organisations):
    first, _ = organisations
    profile(rows(register, 1)[0], invoices=500, amount_log_mean=5.0, amount_log_std=0.6)
    checked = rows(register, 300)
    assessments = []
    for index, row in enumerate(checked):
        if index == 150:  # a typo, then corrected
            assessments.append(assess(event("mismatch", row, actor_id=7, organisation=first)))
        assessments.append(assess(event("authentic", row, actor_id=7, organisation=first)))
    assert {a.level for a in assessments} == {codes.LOW}
    assert {
        a.level
        for a in assess_many([event("authentic", row, actor_id=8, organisation=first) for row in checked])
    } == {codes.LOW}


def test_with_risk_turned_off_nothing_is_assessed_or_written(register, organisations, settings):
    settings.YANPIAO_RISK_ENABLED = False
    events = mixed_traffic(register, organisations)
    assert [assess(e) for e in events] == [NONE] * len(events)
    assert assess_many(events) == [NONE] * len(events)
    assert not Presentation.objects.exists()
    assert not ThrottleWindow.objects.exists()


def test_an_assessment_reports_its_score_level_and_reasons(register, organisations):
    first, second = organisations
    [row] = rows(register, 1)
    assess(event("authentic", row, actor_id=1, organisation=first))
    assert assess(event("authentic", row, actor_id=2, organisation=second)).to_json() == {
        "score": 80,
        "level": "high",
        "reasons": [
            {
                "code": "duplicate_reimbursement",
                "message": "this invoice has also been presented by another organisation or account: "
                "it may be claimed twice",
            }
        ],
    }
