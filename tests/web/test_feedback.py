"""Rating a result and reporting a suspicious invoice from the result card: inline with htmx, or as plain forms."""

import re
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.factories import key_query
from yanpiao.feedback.models import Rating, Reason, SuspiciousReport
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def checked(register, make_user):
    """A verifier and the public id of their check of a registered invoice."""
    verifier = make_user()
    return verifier, verify(key_query(register(type="32")), actor=verifier).verification_id


def feedback_url(verification_id, action: str) -> str:
    return f"/verifications/{verification_id}/{action}/"


def partial(user, verification_id) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("web/_feedback.html", {"verification_id": verification_id}, request=request)


def test_a_verifier_rates_their_check_inline_and_is_thanked(checked, login):
    verifier, verification_id = checked
    answer = login(verifier).post(
        feedback_url(verification_id, "rate"), {"score": "4", "comment": "很快"}, headers=HTMX
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "感谢您的评价" in html and 'data-rated="4"' in html
    assert html.lstrip().startswith(f'<section class="card feedback" id="feedback-{verification_id}"')
    rating = Rating.objects.get()
    assert (rating.rater, rating.verification.public_id, rating.score, rating.comment) == (
        verifier,
        verification_id,
        4,
        "很快",
    )


def test_a_plain_rating_goes_back_to_the_result_with_a_message(checked, login):
    verifier, verification_id = checked
    client = login(verifier)
    answer = client.post(feedback_url(verification_id, "rate"), {"score": "2"})
    assert answer.status_code == 302 and answer["Location"] == f"/verifications/{verification_id}/"
    assert "感谢您的评价" in client.get(answer["Location"]).content.decode()
    client.post(feedback_url(verification_id, "rate"), {"score": "5"})
    assert Rating.objects.get().score == 5


def test_a_report_is_stored_with_its_reason(checked, login):
    verifier, verification_id = checked
    data = {"reason": "differs_from_paper", "details": "纸质发票金额为 200 元"}
    answer = login(verifier).post(feedback_url(verification_id, "report"), data, headers=HTMX)
    assert answer.status_code == 200 and 'data-reported="differs_from_paper"' in answer.content.decode()
    report = SuspiciousReport.objects.get()
    assert (report.reporter, report.reason, report.details) == (
        verifier,
        "differs_from_paper",
        data["details"],
    )
    assert report.verification.public_id == verification_id


@pytest.mark.parametrize(
    ("action", "data"), [("rate", {"score": "5"}), ("rate", {"score": "7"}), ("report", {"reason": "forged"})]
)
def test_an_outsider_gets_404_whatever_they_send(checked, login, make_user, action, data):
    _, verification_id = checked
    outsider = login(make_user())
    assert outsider.post(feedback_url(verification_id, action), data).status_code == 404
    assert outsider.post(feedback_url(uuid.uuid4(), action), data).status_code == 404
    assert not Rating.objects.exists() and not SuspiciousReport.objects.exists()


@pytest.mark.parametrize("action", ["rate", "report"])
def test_anonymous_users_are_sent_to_log_in(checked, client, action):
    _, verification_id = checked
    answer = client.post(feedback_url(verification_id, action), {"score": "5", "reason": "forged"})
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login")
    assert not Rating.objects.exists() and not SuspiciousReport.objects.exists()


def test_the_forms_take_only_posts(checked, login):
    verifier, verification_id = checked
    assert login(verifier).get(feedback_url(verification_id, "rate")).status_code == 405


def error_beside(html: str, field: str) -> bool:
    """Whether the error of ``field`` is inside the field's own row."""
    return bool(re.search(rf'data-field-name="{field}".*?data-error-for="{field}"', html, re.S))


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_score_of_seven_is_refused_with_the_error_beside_the_field(checked, login, headers):
    verifier, verification_id = checked
    data = {"score": "7", "comment": "我的意见"}
    answer = login(verifier).post(feedback_url(verification_id, "rate"), data, headers=headers)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert error_beside(html, "score") and "我的意见</textarea>" in html
    assert not Rating.objects.exists()


def test_a_report_without_a_reason_or_with_too_long_details_is_refused(checked, login):
    verifier, verification_id = checked
    client = login(verifier)
    answer = client.post(feedback_url(verification_id, "report"), {"reason": ""}, headers=HTMX)
    assert answer.status_code == 400 and error_beside(answer.content.decode(), "reason")
    too_long = {"reason": "other", "details": "长" * 2001}
    answer = client.post(feedback_url(verification_id, "report"), too_long)
    html = answer.content.decode()
    assert answer.status_code == 400 and error_beside(html, "details") and 'value="other" selected' in html
    assert not SuspiciousReport.objects.exists()


def test_the_partial_offers_anonymous_users_a_log_in_link_and_no_form(checked):
    _, verification_id = checked
    html = partial(AnonymousUser(), verification_id)
    assert "登录后可评价或举报" in html and 'href="/accounts/login/?next=/"' in html
    assert "<form" not in html


def test_the_partial_offers_signed_in_users_both_forms_inline_and_plain(checked):
    verifier, verification_id = checked
    html = partial(verifier, verification_id)
    rate, report = feedback_url(verification_id, "rate"), feedback_url(verification_id, "report")
    assert f'action="{rate}" data-action="rate"' in html and f'hx-post="{rate}"' in html
    assert f'action="{report}" data-action="report"' in html and f'hx-post="{report}"' in html
    assert html.count('hx-swap="outerHTML"') == 2
    assert re.findall(r'name="score" value="(\d)"', html) == ["1", "2", "3", "4", "5"]
    assert re.findall(r'<option value="(\w+)"', html) == list(Reason.values)
