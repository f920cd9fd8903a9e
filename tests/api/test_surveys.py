"""Surveys and ratings through the API: the invitee reads and answers with their token (201,
then 409), staff read the responses, a verifier rates their own check; everyone else gets 404."""

import re

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.feedback.models import Rating
from yanpiao.support import invitations, surveys
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return make_user(Role.AUDITOR, email="shen.ji@example.com")


@pytest.fixture
def sent(staff, settings, tmp_path):
    """A sent survey and the token texted to its one invitee."""
    settings.YANPIAO_OUTBOX, settings.YANPIAO_DELIVERY = tmp_path, "inline"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    factories.confirmed_user(phone="13800138000", password=None)
    questions = [
        surveys.QuestionDraft("rating", "打个分"),
        surveys.QuestionDraft("text", "建议", required=False),
    ]
    survey = surveys.save_draft(staff, questions, title="满意度调查")
    surveys.send(survey, staff)
    invitations.send_some(survey.pk)
    text = next((tmp_path / "sms").glob("*.txt")).read_text()
    return survey, re.search(r"/surveys/respond/([^/]+)/", text).group(1)


def test_the_invitee_reads_and_answers_once(api, sent):
    survey, token = sent
    found = api.get(f"/surveys/{survey.public_id}?token={token}").json()
    assert [q["kind"] for q in found["questions"]] == ["rating", "text"] and found["answered"] is False
    body = {"token": token, "answers": {"1": 5, "2": "好"}}
    assert api.post(f"/surveys/{survey.public_id}/responses", body).status_code == 201
    again = api.post(f"/surveys/{survey.public_id}/responses", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"


def test_wrong_answers_are_a_400_naming_the_question(api, sent):
    survey, token = sent
    answer = api.post(f"/surveys/{survey.public_id}/responses", {"token": token, "answers": {"1": 7}})
    assert answer.status_code == 400 and "1" in answer.json()["error"]["fields"]


def test_staff_read_the_responses_and_outsiders_get_404(api, bearer, sent, staff, make_user):
    survey, token = sent
    surveys.respond(token, {"1": 4})
    found = api.get(f"/surveys/{survey.public_id}/responses", **bearer(staff)).json()
    assert found["answered"] == 1 and found["questions"][0]["average"] == 4
    outsider = bearer(make_user())
    assert api.get(f"/surveys/{survey.public_id}/responses", **outsider).status_code == 404
    assert api.get(f"/surveys/{survey.public_id}", **outsider).status_code == 404
    assert api.get(f"/surveys/{survey.public_id}?token=wrong").status_code == 404
    wrong = api.post(f"/surveys/{survey.public_id}/responses", {"token": "wrong", "answers": {}})
    assert wrong.status_code == 404


def test_a_verifier_rates_their_own_check_and_others_get_404(api, bearer, register, make_user):
    verifier = make_user()
    verification_id = str(verify(key_query(register(type="32")), actor=verifier).verification_id)
    body = {"verification_id": verification_id, "score": 4, "aspects": {"speed": 5}, "comment": "快"}
    answer = api.post("/ratings", body, **bearer(verifier))
    assert answer.status_code == 201 and answer.json()["aspects"]["speed"] == 5
    for other in (make_user(), make_user(Role.AUDITOR)):
        assert api.post("/ratings", body, **bearer(other)).status_code == 404
    wrong = api.post("/ratings", {**body, "aspects": {"taste": 3}}, **bearer(verifier))
    assert wrong.status_code == 400
    assert Rating.objects.get().comment == "快"
