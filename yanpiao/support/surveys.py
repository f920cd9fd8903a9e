"""Surveys: staff write a questionnaire, choose its audience and send it; invitees answer once.

- A draft has a title, an introduction and questions (:class:`~yanpiao.support.models.Question`:
  single or multiple choice with its options, a rating 1–5, free text); :func:`save_draft`
  creates or rewrites one.
- Its audience (:func:`audience`): every active user with a confirmed e-mail address or phone;
  the members of one organisation; or those who made a verification between two days.  Users who
  unsubscribed (:class:`~yanpiao.support.models.SurveyOptOut`) are never invited.
- :func:`send` makes one :class:`~yanpiao.support.models.Invitation` per invitee and queues the
  task that mails and texts them, throttled (:mod:`yanpiao.support.invitations`).  The link's
  token is random; only its digest is stored (:func:`digest`).
- :func:`respond` checks the answers against the questions and stores exactly one response per
  invitation; :func:`unsubscribe` opts the invitee out of every survey.
- :func:`results` counts the choices, averages the ratings and lists the free texts (for staff);
  :func:`export` writes the responses as CSV or XLSX, formula-safe.

Every step is one transaction with its audit entry (``SURVEY_*``); answers are encrypted at rest
and never in the audit log.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yanpiao import dbapi, spreadsheets
from yanpiao.access import visibility
from yanpiao.accounts.models import User
from yanpiao.security import audit
from yanpiao.support.models import Invitation, Question, Response, Survey, SurveyOptOut
from yanpiao.verification.models import Verification

Kind = Question.Kind
CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)
MAX_QUESTIONS = 30
MAX_CHOICES = 12
CHOICE_LENGTH = 100
TEXT_LENGTH = 2000  # the longest free-text answer
RATING = range(1, 6)


class SurveyError(Exception):
    """A survey step that cannot be taken: ``code`` for programs, ``message`` for people, and
    ``fields`` (question position or field name → problem) where answers or a draft are wrong."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


class AlreadyAnswered(SurveyError):
    def __init__(self):
        super().__init__("already_answered", "这份问卷已经提交过了，每位受邀者只能回答一次。")


@dataclass(frozen=True)
class QuestionDraft:
    kind: str
    text: str
    choices: tuple[str, ...] = ()
    required: bool = True


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link token and its digest."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def _staff(user) -> None:
    if not visibility.is_staff(user):
        raise visibility.NotVisible("no such survey")


def survey_for(user, public_id) -> Survey:
    """The survey, for staff only (anyone else: NotVisible, as for one that does not exist)."""
    _staff(user)
    found = Survey.objects.filter(public_id=public_id).first()
    if found is None:
        raise visibility.NotVisible("no such survey")
    return found


# --- drafts ------------------------------------------------------------------------------------


def check_questions(questions: list[QuestionDraft]) -> dict:
    """The problems of the questions, by position (1, 2 …); empty when they may be saved."""
    problems = {}
    if not questions:
        problems["questions"] = "至少需要一个问题。"
    if len(questions) > MAX_QUESTIONS:
        problems["questions"] = f"最多 {MAX_QUESTIONS} 个问题。"
    for position, question in enumerate(questions, 1):
        if question.kind not in Kind.values:
            problems[position] = "未知的题型。"
        elif not question.text.strip() or len(question.text) > 300:
            problems[position] = "请填写问题（不超过 300 字）。"
        elif question.kind in CHOICE_KINDS:
            choices = [c.strip() for c in question.choices if c.strip()]
            if len(choices) < 2 or len(choices) > MAX_CHOICES:
                problems[position] = f"选择题需要 2 到 {MAX_CHOICES} 个选项。"
            elif len(set(choices)) != len(choices) or any(len(c) > CHOICE_LENGTH for c in choices):
                problems[position] = f"选项不能重复，每个不超过 {CHOICE_LENGTH} 字。"
    return problems


def check_audience(audience: str, organisation=None, active_from=None, active_until=None) -> dict:
    problems = {}
    if audience not in Survey.Audience.values:
        problems["audience"] = "请选择受众。"
    elif audience == Survey.Audience.ORGANISATION and organisation is None:
        problems["organisation"] = "请选择单位。"
    elif audience == Survey.Audience.ACTIVE:
        if not active_from or not active_until:
            problems["active_from"] = "请填写起止日期。"
        elif active_from > active_until:
            problems["active_until"] = "结束日期不能早于开始日期。"
    return problems


def save_draft(
    staff,
    questions: list[QuestionDraft],
    *,
    title: str,
    introduction: str = "",
    audience: str = Survey.Audience.ALL,
    organisation=None,
    active_from: datetime.date | None = None,
    active_until: datetime.date | None = None,
    survey: Survey | None = None,
) -> Survey:
    """Create a draft (``survey`` None) or rewrite one: its facts and all its questions."""
    _staff(staff)
    if survey is not None and survey.status != Survey.Status.DRAFT:
        raise SurveyError("not_draft", "问卷已发送，不能再修改。")
    problems = check_questions(questions) | check_audience(audience, organisation, active_from, active_until)
    if not title.strip() or len(title) > 200:
        problems["title"] = "请填写标题（不超过 200 字）。"
    if problems:
        raise SurveyError("invalid_survey", "问卷填写有误。", problems)
    created = survey is None
    survey = survey or Survey(created_by=staff)
    survey.title, survey.introduction, survey.audience = title.strip(), introduction.strip(), audience
    survey.organisation = organisation if audience == Survey.Audience.ORGANISATION else None
    active = audience == Survey.Audience.ACTIVE
    survey.active_from, survey.active_until = (active_from, active_until) if active else (None, None)
    with dbapi.serialized_writes(), transaction.atomic():
        survey.save()
        survey.questions.all().delete()
        Question.objects.bulk_create(
            Question(
                survey=survey,
                position=position,
                kind=q.kind,
                text=q.text.strip(),
                choices=[c.strip() for c in q.choices if c.strip()] if q.kind in CHOICE_KINDS else [],
                required=q.required,
            )
            for position, q in enumerate(questions, 1)
        )
        audit.record(
            audit.Action.SURVEY_CREATE if created else audit.Action.SURVEY_CHANGE,
            staff,
            audit.target(survey),
            {"survey": str(survey.public_id), "questions": len(questions), "audience": audience},
        )
    return survey


def drafts_of(survey: Survey) -> list[QuestionDraft]:
    return [QuestionDraft(q.kind, q.text, tuple(q.choices), q.required) for q in survey.questions.all()]


# --- audience and sending ----------------------------------------------------------------------


def audience(survey: Survey) -> QuerySet[User]:
    """Who the survey goes to: active users reachable by a confirmed e-mail or phone, narrowed
    by the survey's audience, without those who unsubscribed."""
    reachable = Q(email_confirmed_at__isnull=False, email_index__isnull=False) | Q(
        phone_confirmed_at__isnull=False, phone_index__isnull=False
    )
    users = User.objects.filter(reachable, is_active=True)
    if survey.audience == Survey.Audience.ORGANISATION:
        users = (
            users.filter(organisation_id=survey.organisation_id) if survey.organisation_id else users.none()
        )
    elif survey.audience == Survey.Audience.ACTIVE:
        start = _day_start(survey.active_from)
        end = _day_start(survey.active_until + datetime.timedelta(days=1))
        actors = Verification.objects.filter(created_at__gte=start, created_at__lt=end, actor__isnull=False)
        users = users.filter(pk__in=actors.values("actor_id"))
    opted_out = SurveyOptOut.objects.values("user_id")
    return users.exclude(pk__in=opted_out).order_by("pk")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def send(survey: Survey, staff) -> int:
    """Invite the survey's audience: one invitation each, mailed and texted by the tasks queue
    (throttled).  Returns how many were invited; only a draft can be sent."""
    from yanpiao.support import invitations

    _staff(staff)
    with dbapi.serialized_writes(), transaction.atomic():
        claimed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.DRAFT).update(
            status=Survey.Status.SENT, sent_at=timezone.now()
        )
        if not claimed:
            raise SurveyError("not_draft", "这份问卷已经发送过了。")
        invitees = list(audience(survey).values_list("pk", flat=True))
        Invitation.objects.bulk_create(
            Invitation(survey=survey, user_id=pk, token_digest=new_token()[1]) for pk in invitees
        )
        audit.record(
            audit.Action.SURVEY_SEND,
            staff,
            audit.target(survey),
            {"survey": str(survey.public_id), "audience": survey.audience, "invitations": len(invitees)},
        )
        invitations.enqueue(survey.pk)
    survey.refresh_from_db()
    return len(invitees)


def close(survey: Survey, staff) -> None:
    """No more responses."""
    _staff(staff)
    with dbapi.serialized_writes(), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
        audit.record(
            audit.Action.SURVEY_CLOSE, staff, audit.target(survey), {"survey": str(survey.public_id)}
        )
    survey.refresh_from_db()


def per_run() -> int:
    return max(int(getattr(settings, "YANPIAO_SURVEY_SENDS_PER_MINUTE", 60)), 1)


# --- answering ---------------------------------------------------------------------------------


def invitation_for(token: str) -> Invitation:
    """The invitation of a link's token (NotVisible for an unknown one)."""
    found = (
        Invitation.objects.select_related("survey", "user").filter(token_digest=digest(token or "")).first()
        if token
        else None
    )
    if found is None:
        raise visibility.NotVisible("no such invitation")
    return found


def answered(invitation: Invitation) -> bool:
    return Response.objects.filter(invitation=invitation).exists()


def check_answers(survey: Survey, answers: dict) -> tuple[dict, dict]:
    """The answers cleaned (``{"1": …}`` by question position) and the problems by position."""
    if not isinstance(answers, dict):
        return {}, {"answers": "答案格式有误。"}
    clean, problems = {}, {}
    for question in survey.questions.all():
        key = str(question.position)
        value = answers.get(key, answers.get(question.position))
        empty = value in (None, "", [])
        if empty:
            if question.required:
                problems[key] = "此题必答。"
            continue
        if question.kind == Kind.SINGLE:
            if not isinstance(value, str) or value not in question.choices:
                problems[key] = "请选择一个选项。"
            else:
                clean[key] = value
        elif question.kind == Kind.MULTIPLE:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(v in question.choices for v in values):
                problems[key] = "请从选项中选择。"
            else:
                clean[key] = [c for c in question.choices if c in values]
        elif question.kind == Kind.RATING:
            try:
                score = int(value)
            except (TypeError, ValueError):
                score = 0
            if score not in RATING or isinstance(value, bool):
                problems[key] = "请打 1 到 5 分。"
            else:
                clean[key] = score
        else:
            if not isinstance(value, str) or len(value) > TEXT_LENGTH:
                problems[key] = f"请填写不超过 {TEXT_LENGTH} 字。"
            elif value.strip():
                clean[key] = value.strip()
            elif question.required:
                problems[key] = "此题必答。"
    return clean, problems


def respond(token: str, answers: dict) -> Response:
    """Store the invitee's answers, once: a second response raises :class:`AlreadyAnswered`."""
    invitation = invitation_for(token)
    survey = invitation.survey
    if survey.status != Survey.Status.SENT:
        raise SurveyError("closed", "这份问卷已结束，不再接受回答。")
    if answered(invitation):
        raise AlreadyAnswered()
    clean, problems = check_answers(survey, answers)
    if problems:
        raise SurveyError("invalid_answers", "有的回答不符合要求。", problems)
    now = timezone.now()
    try:
        with dbapi.serialized_writes(), transaction.atomic():
            claimed = Invitation.objects.filter(pk=invitation.pk, responded_at__isnull=True).update(
                responded_at=now
            )
            if not claimed:
                raise AlreadyAnswered()
            response = Response.objects.create(
                invitation=invitation, answers=json.dumps(clean, ensure_ascii=False), created_at=now
            )
            audit.record(
                audit.Action.SURVEY_RESPOND,
                invitation.user,
                audit.target(survey),
                {"survey": str(survey.public_id), "answered": len(clean)},
            )
    except IntegrityError:  # the one-to-one: a response stored meanwhile
        raise AlreadyAnswered() from None
    return response


def unsubscribe(token: str) -> None:
    """The invitee gets no more surveys (idempotent)."""
    invitation = invitation_for(token)
    with dbapi.serialized_writes(), transaction.atomic():
        _, created = SurveyOptOut.objects.get_or_create(user=invitation.user)
        if created:
            audit.record(
                audit.Action.SURVEY_UNSUBSCRIBE,
                invitation.user,
                audit.target(invitation.user),
                {"survey": str(invitation.survey.public_id)},
            )


def opted_out(invitation: Invitation) -> bool:
    return SurveyOptOut.objects.filter(user_id=invitation.user_id).exists()


# --- results -----------------------------------------------------------------------------------


def _responses(survey: Survey) -> list[tuple[Response, dict]]:
    found = Response.objects.filter(invitation__survey=survey).order_by("created_at", "pk")
    return [(response, json.loads(response.answers)) for response in found]


def results(survey: Survey) -> dict:
    """``{"invited", "emailed", "texted", "answered", "questions": [{"question", "counts" (choice
    → count), "average", "ratings" (1–5 → count), "texts"}]}``."""
    responses = _responses(survey)
    invitations = Invitation.objects.filter(survey=survey)
    summary = []
    for question in survey.questions.all():
        key = str(question.position)
        given = [answers[key] for _, answers in responses if key in answers]
        entry = {"question": question, "answers": len(given)}
        if question.kind in CHOICE_KINDS:
            counts = dict.fromkeys(question.choices, 0)
            for value in given:
                for choice in [value] if isinstance(value, str) else value:
                    if choice in counts:
                        counts[choice] += 1
            entry["counts"] = counts
        elif question.kind == Kind.RATING:
            entry["ratings"] = {score: given.count(score) for score in RATING}
            entry["average"] = round(sum(given) / len(given), 2) if given else None
        else:
            entry["texts"] = given
        summary.append(entry)
    return {
        "invited": invitations.count(),
        "emailed": invitations.filter(emailed_at__isnull=False).count(),
        "texted": invitations.filter(texted_at__isnull=False).count(),
        "answered": len(responses),
        "questions": summary,
    }


def _table(survey: Survey) -> tuple[list[str], list[list]]:
    questions = list(survey.questions.all())
    header = ["#", "answered_at", *[f"{q.position}. {q.text}" for q in questions]]
    rows = []
    for number, (response, answers) in enumerate(_responses(survey), 1):
        row = [number, timezone.localtime(response.created_at).isoformat(timespec="seconds")]
        for q in questions:
            value = answers.get(str(q.position), "")
            row.append("; ".join(value) if isinstance(value, list) else value)
        rows.append(row)
    return header, rows


def export(survey: Survey, staff, kind: str) -> bytes:
    """The responses as ``csv`` (UTF-8 with a BOM, for Excel) or ``xlsx``; cells formula-safe."""
    _staff(staff)
    if kind not in ("csv", "xlsx"):
        raise SurveyError("invalid_format", "请选择 CSV 或 XLSX。")
    header, rows = _table(survey)
    audit.record(
        audit.Action.SURVEY_EXPORT,
        staff,
        audit.target(survey),
        {"survey": str(survey.public_id), "format": kind, "responses": len(rows)},
    )
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for row in [header, *rows]:
            writer.writerow([spreadsheets.csv_text(v) if isinstance(v, str) else v for v in row])
        return ("\ufeff" + out.getvalue()).encode()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    for row in [header, *rows]:
        sheet.append([spreadsheets.xlsx_value(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
