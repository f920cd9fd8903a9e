"""Rating results and reporting suspicious invoices: who may, what is stored, what the audit log says."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import key_query
from yanpiao.access.visibility import NotVisible
from yanpiao.feedback import services
from yanpiao.feedback.models import Rating, Reason, ReportStatus, SuspiciousReport
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(register, make_user):
    """A verifier and the public id of their authentic check of a registered invoice."""
    verifier = make_user()
    return verifier, verify(key_query(register(type="32")), actor=verifier).verification_id


def test_rating_again_replaces_the_rating(checked):
    verifier, verification_id = checked
    services.rate(verifier, verification_id, 2, "太慢")
    rating = services.rate(verifier, verification_id, 5)
    assert Rating.objects.get() == rating
    assert (rating.score, rating.comment) == (5, "")


def test_a_comment_is_stored_encrypted(checked):
    verifier, verification_id = checked
    rating = services.rate(verifier, verification_id, 4, "查验很快")
    assert Rating.objects.get().comment == "查验很快"
    stored = Rating.objects.filter(pk=rating.pk).values_list("comment", flat=True).get()
    assert "查验很快" not in stored


@pytest.mark.parametrize("score", [0, 6, 7, -1])
def test_a_score_outside_one_to_five_is_refused(checked, score):
    verifier, verification_id = checked
    with pytest.raises(ValidationError) as refused:
        services.rate(verifier, verification_id, score)
    assert "score" in refused.value.error_dict
    assert not Rating.objects.exists()


def test_a_comment_over_a_thousand_characters_is_refused(checked):
    verifier, verification_id = checked
    with pytest.raises(ValidationError):
        services.rate(verifier, verification_id, 3, "长" * 1001)


def test_a_report_is_stored_open_and_names_the_invoice_through_its_verification(checked):
    verifier, verification_id = checked
    stored = services.report(verifier, verification_id, Reason.DUPLICATE_CLAIM, "同一张票报销两次")
    found = SuspiciousReport.objects.get(verification__invoice_id=stored.verification.invoice_id)
    assert (found.reporter, found.reason, found.details) == (verifier, "duplicate_claim", "同一张票报销两次")
    assert found.status == ReportStatus.OPEN


def test_an_unknown_reason_is_refused(checked):
    verifier, verification_id = checked
    with pytest.raises(ValidationError):
        services.report(verifier, verification_id, "boring")
    assert not SuspiciousReport.objects.exists()


def test_an_outsider_may_neither_rate_nor_report(checked, make_user):
    _, verification_id = checked
    outsider = make_user()
    with pytest.raises(NotVisible):
        services.rate(outsider, verification_id, 5)
    with pytest.raises(NotVisible):
        services.report(outsider, verification_id, Reason.FORGED)
    assert not Rating.objects.exists() and not SuspiciousReport.objects.exists()


def test_an_anonymous_check_is_nobodys_to_rate(register, make_user):
    verification_id = verify(key_query(register(type="32"))).verification_id
    with pytest.raises(NotVisible):
        services.rate(make_user(), verification_id, 5)


def test_rating_and_reporting_are_audited_without_what_the_user_wrote(checked, audit_events):
    verifier, verification_id = checked
    rating = services.rate(verifier, verification_id, 1, "金额不对")
    services.rate(verifier, verification_id, 2, "金额不对")
    stored = services.report(verifier, verification_id, Reason.FORGED, "印章模糊")
    rate_events = [e for e in audit_events if e["action"] == "feedback.rate"]
    [report_event] = [e for e in audit_events if e["action"] == "feedback.report"]
    about = {"verification": str(verification_id), "invoice_id": rating.verification.invoice_id}
    assert rate_events[0]["actor"] == verifier and rate_events[0]["target"] == f"feedback.rating:{rating.pk}"
    assert [e["detail"] for e in rate_events] == [
        {**about, "score": 1, "commented": True, "replaced": False},
        {**about, "score": 2, "commented": True, "replaced": True},
    ]
    assert report_event["target"] == f"feedback.suspiciousreport:{stored.pk}"
    assert report_event["detail"] == {**about, "reason": "forged", "detailed": True}
    assert "金额不对" not in str(audit_events) and "印章模糊" not in str(audit_events)
