"""The suggestion board, for signed-in callers: ``POST /suggestions`` (propose),
``GET /suggestions`` (cursor-paged, newest first, filtered by status, each with its votes and
whether the caller voted), ``GET /suggestions/{id}`` (with its comments),
``POST|DELETE /suggestions/{id}/vote`` and ``POST /suggestions/{id}/comments``.

Thin adapters over :mod:`yanpiao.support.suggestions`.  Anonymous callers get 401, an unknown
id 404.  People appear as the site shows them (:func:`yanpiao.access.disclosure.user_label`:
themselves in full, anyone else masked).  Setting a status and awarding points are the staff's,
on the site.
"""

from __future__ import annotations

import datetime
import uuid

from ninja import Query, Schema, Status
from pydantic import Field

from yanpiao.access.disclosure import user_label
from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.history import paging
from yanpiao.support import suggestions
from yanpiao.support.models import Suggestion

router = routers.suggestions
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}


class SuggestionIn(Schema):
    title: str = Field(min_length=1, max_length=suggestions.TITLE_LENGTH)
    body: str = Field(min_length=1, max_length=suggestions.BODY_LENGTH)


class CommentIn(Schema):
    body: str = Field(min_length=1, max_length=suggestions.COMMENT_LENGTH, description="kept encrypted")


class SuggestionAnswer(Schema):
    id: uuid.UUID
    title: str
    body: str
    status: str = Field(description="new, under_review, planned, done or declined")
    votes: int
    voted: bool = Field(description="whether the caller voted for it")
    author: str = Field(description="the author as the site shows them: masked, unless it is the caller")
    mine: bool = Field(description="whether the caller proposed it")
    created_at: datetime.datetime


class CommentAnswer(Schema):
    author: str
    body: str
    created_at: datetime.datetime


class SuggestionDetail(SuggestionAnswer):
    points: int = Field(description="the points its author was awarded for it")
    comments: list[CommentAnswer]


class SuggestionPage(Schema):
    items: list[SuggestionAnswer]
    next_cursor: str | None


class ListParams(Schema):
    status: str | None = Field(
        None, description="new, under_review, planned, done or declined", max_length=20
    )
    cursor: str | None = Field(None, description="next_cursor of the previous page", max_length=400)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT, description="items per page, 1–100")


def _caller(request) -> Caller:
    caller: Caller = request.auth
    caller.require_signed_in()
    return caller


def answer(idea: Suggestion, viewer, voted: bool) -> dict:
    return {
        "id": idea.public_id,
        "title": idea.title,
        "body": idea.body,
        "status": idea.status,
        "votes": idea.votes,
        "voted": voted,
        "author": user_label(viewer, idea.author),
        "mine": idea.author_id is not None and idea.author_id == viewer.pk,
        "created_at": idea.created_at,
    }


def detail(idea: Suggestion, viewer) -> dict:
    return {
        **answer(idea, viewer, suggestions.has_voted(viewer, idea)),
        "points": suggestions.points_awarded(idea),
        "comments": [
            {"author": user_label(viewer, each.author), "body": each.body, "created_at": each.created_at}
            for each in suggestions.comments_of(idea)
        ],
    }


def _refused(refused: suggestions.Refused) -> ApiError:
    return ApiError(400, f"suggestion_{refused.code}", refused.message)


@router.post("", response={201: SuggestionDetail, **ERRORS}, auth=signed_in, url_name="suggestions")
def propose(request, body: SuggestionIn):
    """Propose an improvement (title ≤ 120, body ≤ 4000 characters); 201 with the suggestion."""
    caller = _caller(request)
    try:
        idea = suggestions.propose(caller.user, body.title, body.body)
    except suggestions.Refused as refused:
        raise _refused(refused) from None
    return Status(201, detail(idea, caller.user))


@router.get("", response={200: SuggestionPage, **ERRORS}, auth=signed_in, url_name="suggestion_list")
def list_suggestions(request, params: Query[ListParams]):
    """Every suggestion, newest first (``status`` to filter), with its votes and whether the
    caller voted; pass ``next_cursor`` as ``cursor`` for the next page."""
    caller = _caller(request)
    status = (params.status or "").strip()
    problems = suggestions.check_filters(status=status)
    if problems:
        raise ApiError(
            400, "invalid_filter", "筛选条件有误。Some filters are not valid; see fields.", problems
        )
    try:
        found = paging.page(suggestions.listing(status, "newest"), params.cursor, params.limit)
    except paging.InvalidCursor:
        raise invalid_cursor() from None
    voted = suggestions.voted_by(caller.user, found.items)
    return {
        "items": [answer(idea, caller.user, idea.pk in voted) for idea in found.items],
        "next_cursor": found.next_cursor,
    }


@router.get(
    "/{uuid:suggestion_id}", response={200: SuggestionDetail, **ERRORS}, auth=signed_in, url_name="suggestion"
)
def get_suggestion(request, suggestion_id: uuid.UUID):
    """One suggestion with its comments."""
    caller = _caller(request)
    return detail(suggestions.find(suggestion_id), caller.user)


@router.post(
    "/{uuid:suggestion_id}/vote",
    response={200: SuggestionDetail, **ERRORS},
    auth=signed_in,
    url_name="suggestion_vote",
)
def vote(request, suggestion_id: uuid.UUID):
    """Vote for the suggestion; voting again changes nothing (one vote per user)."""
    caller = _caller(request)
    idea = suggestions.find(suggestion_id)
    suggestions.vote(idea, caller.user)
    return detail(idea, caller.user)


@router.delete(
    "/{uuid:suggestion_id}/vote",
    response={200: SuggestionDetail, **ERRORS},
    auth=signed_in,
    url_name="suggestion_unvote",
)
def unvote(request, suggestion_id: uuid.UUID):
    """Take the caller's vote back (nothing changes when there was none)."""
    caller = _caller(request)
    idea = suggestions.find(suggestion_id)
    suggestions.unvote(idea, caller.user)
    return detail(idea, caller.user)


@router.post(
    "/{uuid:suggestion_id}/comments",
    response={201: SuggestionDetail, **ERRORS},
    auth=signed_in,
    url_name="suggestion_comments",
)
def add_comment(request, suggestion_id: uuid.UUID, body: CommentIn):
    """Comment on the suggestion (kept encrypted); 201 with the suggestion and its comments."""
    caller = _caller(request)
    idea = suggestions.find(suggestion_id)
    try:
        suggestions.comment(idea, caller.user, body.body)
    except suggestions.Refused as refused:
        raise _refused(refused) from None
    return Status(201, detail(idea, caller.user))
