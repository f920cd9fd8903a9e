"""The survey pages: staff build (with htmx question rows), send and read a survey; the invitee
answers once by the link's token and may unsubscribe; outsiders get 404."""

import re

import pytest

from tests import factories
from yanpiao.accounts.models import Role
from yanpiao.support import invitations, surveys
from yanpiao.support.models import Response, Survey, SurveyOptOut

pytestmark = pytest.mark.django_db

BUILT = {
    "title": "满意度调查",
    "introduction": "两分钟",
    "audience": "all",
    "q-0-kind": "single",
    "q-0-text": "您满意吗？",
    "q-0-choices": "满意\n不满意",
    "q-0-required": "1",
    "q-1-kind": "rating",
    "q-1-text": "打个分",
    "q-1-required": "1",
    "q-2-kind": "text",
    "q-2-text": "",
}


@pytest.fixture
def staff(make_user):
    return make_user(Role.AUDITOR, email="shen.ji@example.com")


@pytest.fixture
def sent(staff, settings, tmp_path):
    """A sent survey and the token texted to its one invitee."""
    settings.YANPIAO_OUTBOX, settings.YANPIAO_DELIVERY = tmp_path, "inline"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    factories.confirmed_user(phone="13800138000", password=None)
    survey = surveys.save_draft(
        staff,
        [
            surveys.QuestionDraft("single", "您满意吗？", ("满意", "不满意")),
            surveys.QuestionDraft("text", "建议", required=False),
        ],
        title="满意度调查",
    )
    surveys.send(survey, staff)
    invitations.send_some(survey.pk)
    text = next((tmp_path / "sms").glob("*.txt")).read_text()
    return survey, re.search(r"/surveys/respond/([^/]+)/", text).group(1)


def test_staff_build_a_survey_and_see_it(staff, login):
    client = login(staff)
    assert client.get("/surveys/new/").status_code == 200
    answer = client.post("/surveys/new/", BUILT)
    survey = Survey.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/surveys/{survey.public_id}/"
    assert [q.kind for q in survey.questions.all()] == ["single", "rating"]
    page = client.get(answer["Location"]).content.decode()
    assert "满意度调查" in page and 'data-action="send-survey"' in page
    assert "满意度调查" in client.get("/surveys/").content.decode()


def test_the_builder_shows_what_is_wrong(staff, login):
    answer = login(staff).post("/surveys/new/", {**BUILT, "q-0-choices": "只有一个"})
    assert answer.status_code == 400 and 'data-error-for="q-0"' in answer.content.decode()
    assert not Survey.objects.exists()


def test_htmx_adds_a_question_row(staff, login):
    answer = login(staff).get("/surveys/question-row/?index=3")
    html = answer.content.decode()
    assert answer.status_code == 200 and 'name="q-3-text"' in html and "index=4" in html


def test_staff_send_and_the_invitee_answers_once(sent, staff, login, client):
    survey, token = sent
    assert "您满意吗" in client.get(f"/surveys/respond/{token}/").content.decode()
    answer = client.post(f"/surveys/respond/{token}/", {"a-1": "满意", "a-2": "很好"})
    assert answer.status_code == 200 and 'data-answered="thanks"' in answer.content.decode()
    again = client.post(f"/surveys/respond/{token}/", {"a-1": "不满意"})
    assert again.status_code == 409 and 'data-answered="already"' in again.content.decode()
    assert Response.objects.count() == 1
    page = login(staff).get(f"/surveys/{survey.public_id}/").content.decode()
    assert 'data-answered="1"' in page and "很好" in page


def test_a_wrong_answer_is_shown_beside_its_question(sent, client):
    _, token = sent
    answer = client.post(f"/surveys/respond/{token}/", {"a-1": "也许"})
    assert answer.status_code == 400 and 'data-error-for="a-1"' in answer.content.decode()


def test_unsubscribing_takes_a_post(sent, client):
    _, token = sent
    assert 'data-action="unsubscribe"' in client.get(f"/surveys/unsubscribe/{token}/").content.decode()
    assert not SurveyOptOut.objects.exists()
    assert 'data-unsubscribed="true"' in client.post(f"/surveys/unsubscribe/{token}/").content.decode()
    assert SurveyOptOut.objects.count() == 1


def test_exports_download(sent, staff, login):
    survey, token = sent
    surveys.respond(token, {"1": "满意", "2": "=1+1"})
    client = login(staff)
    csv = client.get(f"/surveys/{survey.public_id}/export/csv/")
    assert csv["Content-Type"].startswith("text/csv") and "'=1+1" in csv.content.decode("utf-8-sig")
    assert client.get(f"/surveys/{survey.public_id}/export/xlsx/").status_code == 200
    assert client.get(f"/surveys/{survey.public_id}/export/pdf/").status_code == 404


def test_outsiders_get_404(sent, make_user, login, client):
    survey, _ = sent
    assert client.get("/surveys/unsubscribe/nope/").status_code == 404
    assert client.get("/surveys/respond/nope/").status_code == 404
    outsider = login(make_user())
    for url in (
        "/surveys/",
        "/surveys/new/",
        f"/surveys/{survey.public_id}/",
        f"/surveys/{survey.public_id}/export/csv/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.post(f"/surveys/{survey.public_id}/send/").status_code == 404
