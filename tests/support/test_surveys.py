"""Surveys: drafts, audiences, invitations mailed (aiosmtpd) and texted (outbox) at a throttled
pace, one response per invitation, unsubscribing, results and formula-safe exports."""

import datetime
import io
import json
import re

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.alerts.conftest import smtp, worker  # noqa: F401 (fixtures)
from yanpiao.access.visibility import NotVisible
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.support import invitations, surveys
from yanpiao.support.models import Invitation, Response, Survey, SurveyOptOut
from yanpiao.verification import services as verification

pytestmark = pytest.mark.django_db

QUESTIONS = [
    surveys.QuestionDraft("single", "您从哪里知道验票？", ("朋友", "搜索")),
    surveys.QuestionDraft("multiple", "您用过哪些功能？", ("扫码", "上传", "批量")),
    surveys.QuestionDraft("rating", "总体满意度"),
    surveys.QuestionDraft("text", "还有什么建议？", required=False),
]


@pytest.fixture
def staff(make_user):
    return make_user(Role.AUDITOR, email="shen.ji@example.com")


@pytest.fixture
def outbox(settings, tmp_path):
    settings.YANPIAO_OUTBOX = tmp_path / "outbox"
    settings.YANPIAO_SMS_BACKEND = "yanpiao.accounts.outbox.OutboxSmsBackend"
    settings.YANPIAO_DELIVERY = "inline"
    return tmp_path / "outbox"


def person(email=None, phone=None, **extra):
    return factories.confirmed_user(email=email, phone=phone, password=None, **extra)


def draft(staff, **audience):
    return surveys.save_draft(staff, QUESTIONS, title="满意度调查", **audience)


def texts(outbox) -> list[str]:
    folder = outbox / "sms"
    return [path.read_text() for path in sorted(folder.glob("*.txt"))] if folder.exists() else []


def test_a_draft_needs_questions_with_enough_choices(staff):
    with pytest.raises(surveys.SurveyError) as refused:
        surveys.save_draft(staff, [surveys.QuestionDraft("single", "二选一？", ("只有一个",))], title="x")
    assert 1 in refused.value.fields
    assert draft(staff).questions.count() == 4


def test_only_staff_write_surveys(make_user):
    with pytest.raises(NotVisible):
        draft(make_user())


def test_the_audience_is_reachable_active_users_without_those_who_opted_out(staff, make_user):
    reached, texted = person("a@example.com"), person(phone="13800138000")
    make_user(email="unconfirmed@example.com")
    gone = person("gone@example.com")
    SurveyOptOut.objects.create(user=gone)
    person("inactive@example.com", is_active=False)
    audience = set(surveys.audience(draft(staff)))
    assert {reached, texted} <= audience and gone not in audience
    assert not any(user.email in ("unconfirmed@example.com", "inactive@example.com") for user in audience)


def test_the_audience_of_an_organisation_is_its_members(staff):
    firm = organisations.create_organisation(factories.SELLER.name, factories.SELLER.tax_id)
    member, other = person("member@example.com", organisation=firm), person("other@example.com")
    audience = list(surveys.audience(draft(staff, audience="organisation", organisation=firm)))
    assert audience == [member] and other not in audience


def test_the_audience_of_a_period_made_a_check_in_it(staff, register):
    active, idle = person("active@example.com"), person("idle@example.com")
    verification.verify(factories.key_query(register(type="32")), actor=active)
    today = datetime.date.today()
    survey = draft(
        staff, audience="active", active_from=today - datetime.timedelta(days=1), active_until=today
    )
    assert list(surveys.audience(survey)) == [active]
    survey = draft(
        staff,
        audience="active",
        active_from=today - datetime.timedelta(days=9),
        active_until=today - datetime.timedelta(days=2),
    )
    assert list(surveys.audience(survey)) == []
    assert idle


def test_sending_mails_and_texts_every_invitee_once_through_the_queue(staff, smtp, outbox, worker):  # noqa: F811
    mailed, texted = person("mailed@example.com"), person(phone="13800138001")
    SurveyOptOut.objects.create(user=person("out@example.com"))
    survey = draft(staff)
    assert surveys.send(survey, staff) == 2
    assert Invitation.objects.filter(survey=survey).count() == 2
    worker()
    assert [m["To"] for m in smtp.messages] == ["mailed@example.com"]
    body = smtp.messages[0].get_content()
    assert "/surveys/respond/" in body and "/surveys/unsubscribe/" in body
    sms = texts(outbox)
    assert len(sms) == 1 and "/surveys/respond/" in sms[0]
    assert Invitation.objects.get(user=mailed).emailed_at and Invitation.objects.get(user=texted).texted_at
    with pytest.raises(surveys.SurveyError):
        surveys.send(survey, staff)


def test_sending_is_throttled_and_the_task_queues_the_rest(staff, settings, outbox, worker):  # noqa: F811
    settings.YANPIAO_SURVEY_SENDS_PER_MINUTE = 2
    for n in range(5):
        person(phone=f"1380013801{n}")
    survey = draft(staff)
    surveys.send(survey, staff)
    worker()
    assert len(texts(outbox)) == 2
    worker(later=True)
    assert len(texts(outbox)) == 4
    worker(later=True)
    assert len(texts(outbox)) == 5
    assert not Invitation.objects.filter(texted_at__isnull=True).exists()


def invited(staff, outbox) -> str:
    """The token of a texted invitee's link."""
    person(phone="13800138099")
    survey = draft(staff)
    surveys.send(survey, staff)
    invitations.send_some(survey.pk)
    return re.search(r"/surveys/respond/([^/]+)/", texts(outbox)[-1]).group(1)


ANSWERS = {"1": "朋友", "2": ["扫码", "批量"], "3": 4, "4": '=HYPERLINK("x")'}


def test_an_invitee_answers_once_and_a_second_response_is_refused(staff, outbox):
    token = invited(staff, outbox)
    surveys.respond(token, ANSWERS)
    with pytest.raises(surveys.AlreadyAnswered):
        surveys.respond(token, ANSWERS)
    assert Response.objects.count() == 1
    assert json.loads(Response.objects.get().answers)["2"] == ["扫码", "批量"]


def test_answers_are_checked_against_the_questions(staff, outbox):
    token = invited(staff, outbox)
    with pytest.raises(surveys.SurveyError) as refused:
        surveys.respond(token, {"1": "邻居", "2": ["扫码"], "3": 9})
    assert set(refused.value.fields) == {"1", "3"}
    assert not Response.objects.exists()


def test_an_unknown_token_is_not_found():
    with pytest.raises(NotVisible):
        surveys.respond("no-such-token", ANSWERS)


def test_unsubscribing_keeps_the_invitee_out_of_later_surveys(staff, outbox):
    token = invited(staff, outbox)
    surveys.unsubscribe(token)
    surveys.unsubscribe(token)
    assert SurveyOptOut.objects.count() == 1
    assert not surveys.audience(draft(staff)).exists()


def test_results_count_choices_average_ratings_and_list_texts(staff, outbox):
    token = invited(staff, outbox)
    surveys.respond(token, ANSWERS)
    found = surveys.results(Survey.objects.get())
    single, multiple, rating, text = found["questions"]
    assert found["answered"] == 1 and single["counts"] == {"朋友": 1, "搜索": 0}
    assert multiple["counts"] == {"扫码": 1, "上传": 0, "批量": 1}
    assert rating["average"] == 4 and text["texts"] == ['=HYPERLINK("x")']


def test_exports_are_formula_safe(staff, outbox, audit_events):
    token = invited(staff, outbox)
    surveys.respond(token, ANSWERS)
    survey = Survey.objects.get()
    csv_text = surveys.export(survey, staff, "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "扫码; 批量" in csv_text
    sheet = load_workbook(io.BytesIO(surveys.export(survey, staff, "xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][-1] == '=HYPERLINK("x")' and sheet.cell(2, 6).data_type == "s"
    assert [e["action"] for e in audit_events].count("survey.export") == 2
