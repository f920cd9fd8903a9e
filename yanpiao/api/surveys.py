"""Surveys and ratings through the API.

- ``GET /surveys/{id}``: the questionnaire, for an invitee with their invitation ``token`` (no
  log-in needed) or for staff;
- ``POST /surveys/{id}/responses`` (``token``, ``answers``): the invitee's answers, 201 once,
  409 after that;
- ``GET /surveys/{id}/responses``: the results and every response, for staff;
- ``POST /ratings`` (``verification_id``, ``score``, ``aspects``, ``comment``): the verifier
  rates their own check's result.

Thin adapters over :mod:`yanpiao.support.surveys` and :mod:`yanpiao.feedback.services`.  Anyone
else gets 404, as for a survey or a verification that does not exist.
"""

from __future__ import annotations

import datetime
import json
import uuid

from django.core.exceptions import ValidationError
from ninja import Query, Schema, Status
from pydantic import Field

from yanpiao.access import visibility
from yanpiao.api import routers
from yanpiao.api.callers import Caller, anyone, signed_in
from yanpiao.api.errors import ApiError, Error
from yanpiao.feedback import services as feedback
from yanpiao.feedback.models import ASPECTS, COMMENT_LENGTH
from yanpiao.support import surveys
from yanpiao.support.models import Response, Survey

ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}


class QuestionAnswer(Schema):
    position: int
    kind: str = Field(description="single, multiple, rating (1–5) or text")
    text: str
    choices: list[str]
    required: bool


class SurveyAnswer(Schema):
    id: uuid.UUID
    title: str
    introduction: str
    status: str = Field(description="draft, sent or closed")
    questions: list[QuestionAnswer]
    answered: bool | None = Field(None, description="for an invitee: whether they answered already")


class TokenParams(Schema):
    token: str | None = Field(None, max_length=100, description="the invitation's token (from its link)")


class ResponseIn(Schema):
    token: str = Field(max_length=100, description="the invitation's token (from its link)")
    answers: dict[str, object] = Field(
        description='by question position: "1": "a choice", "2": ["choices"], "3": 4, "4": "text"'
    )


class ResponseCreated(Schema):
    survey: uuid.UUID
    created_at: datetime.datetime


class ResponseRow(Schema):
    created_at: datetime.datetime
    answers: dict[str, object]


class QuestionResult(Schema):
    position: int
    answers: int
    counts: dict[str, int] | None = None
    average: float | None = None
    texts: list[str] | None = None


class Results(Schema):
    invited: int
    answered: int
    questions: list[QuestionResult]
    responses: list[ResponseRow]


class RatingIn(Schema):
    verification_id: uuid.UUID
    score: int = Field(ge=1, le=5)
    aspects: dict[str, int | None] = Field(
        default_factory=dict, description=f"some of {', '.join(ASPECTS)}: 1–5"
    )
    comment: str = Field("", max_length=COMMENT_LENGTH)


class RatingAnswer(Schema):
    verification_id: uuid.UUID
    score: int
    aspects: dict[str, int | None]
    comment: str
    created_at: datetime.datetime


def _survey(public_id: uuid.UUID) -> Survey:
    found = Survey.objects.filter(public_id=public_id).first()
    if found is None:
        raise ApiError(404)
    return found


def _invitation(survey: Survey, token: str | None):
    """The token's invitation to this survey; 404 for any other token."""
    try:
        invitation = surveys.invitation_for(token or "")
    except visibility.NotVisible:
        raise ApiError(404) from None
    if invitation.survey_id != survey.pk:
        raise ApiError(404)
    return invitation


def _answer(survey: Survey, answered: bool | None = None) -> dict:
    return {
        "id": survey.public_id,
        "title": survey.title,
        "introduction": survey.introduction,
        "status": survey.status,
        "questions": [
            {
                "position": q.position,
                "kind": q.kind,
                "text": q.text,
                "choices": q.choices,
                "required": q.required,
            }
            for q in survey.questions.all()
        ],
        "answered": answered,
    }


@routers.surveys.get(
    "/{uuid:survey_id}", response={200: SurveyAnswer, **ERRORS}, auth=anyone, url_name="survey"
)
def get_survey(request, survey_id: uuid.UUID, params: Query[TokenParams]):
    """The questionnaire: for staff, or for an invitee with the token of their invitation."""
    caller: Caller = request.auth
    survey = _survey(survey_id)
    if visibility.is_staff(caller.user) and not params.token:
        return _answer(survey)
    invitation = _invitation(survey, params.token)
    return _answer(survey, surveys.answered(invitation))


@routers.surveys.post(
    "/{uuid:survey_id}/responses",
    response={201: ResponseCreated, **ERRORS, 409: Error},
    auth=anyone,
    url_name="survey_responses_create",
)
def create_response(request, survey_id: uuid.UUID, body: ResponseIn):
    """Answer the survey once (201); 409 when this invitation was answered already or the survey is closed."""
    survey = _survey(survey_id)
    _invitation(survey, body.token)
    try:
        response = surveys.respond(body.token, body.answers)
    except surveys.AlreadyAnswered:
        raise ApiError(
            409, "already_answered", "这份问卷已经回答过了。This invitation has been answered already."
        ) from None
    except surveys.SurveyError as refused:
        if refused.code == "closed":
            raise ApiError(409, "survey_closed", "问卷已结束。The survey takes no more responses.") from None
        fields = {str(key): problem for key, problem in refused.fields.items()}
        raise ApiError(
            400, "invalid_answers", "回答有误。Some answers are not valid; see fields.", fields
        ) from None
    return Status(201, {"survey": survey.public_id, "created_at": response.created_at})


@routers.surveys.get(
    "/{uuid:survey_id}/responses",
    response={200: Results, **ERRORS},
    auth=signed_in,
    url_name="survey_responses",
)
def list_responses(request, survey_id: uuid.UUID):
    """The results and every response (staff only; 404 for anyone else)."""
    caller: Caller = request.auth
    if not visibility.is_staff(caller.user):
        raise ApiError(404)
    survey = _survey(survey_id)
    found = surveys.results(survey)
    questions = []
    for entry in found["questions"]:
        row = {"position": entry["question"].position, "answers": entry["answers"]}
        if "counts" in entry:
            row["counts"] = entry["counts"]
        if "ratings" in entry:
            row["counts"] = {str(score): count for score, count in entry["ratings"].items()}
            row["average"] = entry["average"]
        if "texts" in entry:
            row["texts"] = entry["texts"]
        questions.append(row)
    responses = Response.objects.filter(invitation__survey=survey).order_by("created_at", "pk")
    return {
        "invited": found["invited"],
        "answered": found["answered"],
        "questions": questions,
        "responses": [{"created_at": r.created_at, "answers": json.loads(r.answers)} for r in responses],
    }


@routers.ratings.post("", response={201: RatingAnswer, **ERRORS}, auth=signed_in, url_name="ratings")
def rate(request, body: RatingIn):
    """Rate the result of one of your own checks, 1–5 overall and per aspect, with a comment;
    404 for a verification that is not yours."""
    caller: Caller = request.auth
    caller.require("verify")
    try:
        verification = visibility.verification_for(caller.user, body.verification_id)
    except visibility.NotVisible:
        raise ApiError(404) from None
    if verification.actor_id != caller.user.pk:
        raise ApiError(404)
    try:
        rating = feedback.rate(caller.user, body.verification_id, body.score, body.comment, body.aspects)
    except ValidationError as invalid:
        fields = {name: " ".join(problems) for name, problems in invalid.message_dict.items()}
        raise ApiError(
            400, "invalid_rating", "评价有误。The rating is not valid; see fields.", fields
        ) from None
    return Status(
        201,
        {
            "verification_id": body.verification_id,
            "score": rating.score,
            "aspects": {name: getattr(rating, name) for name in ASPECTS},
            "comment": rating.comment,
            "created_at": rating.created_at,
        },
    )
