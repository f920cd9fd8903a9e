"""Tickets: ``POST /tickets`` (open one), ``GET /tickets`` (one's own; staff: all, cursor-paged),
``GET /tickets/{id}`` (its conversation), ``POST /tickets/{id}/replies``, ``/close``, ``/reopen``
and ``/ratings`` (the owner's, once the ticket is closed).

Thin adapters over :mod:`yanpiao.support.tickets`.  A ticket is its owner's and staff's: anyone
else gets 404 for it, its replies and its rating, exactly as for a ticket that does not exist;
internal notes are in staff's answers only.  Attachments are added on the site's ticket page.
A token needs the scope :data:`SCOPE`; a refusal of the input answers 400, a step that does not
apply to the ticket as it is now 409.
"""

from __future__ import annotations

import datetime
import uuid

from ninja import Query, Schema, Status
from pydantic import Field

from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.feedback.models import COMMENT_LENGTH
from yanpiao.history import paging
from yanpiao.support import sla, tickets
from yanpiao.support.models import Ticket

router = routers.tickets
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}
STEP_ERRORS = {**ERRORS, 409: Error}
SCOPE = "verify"
# Refusals of the ticket's state (409); every other refusal is of the input (400).
NOT_NOW = ("closed", "not_closed", "rated")


class AttachmentAnswer(Schema):
    id: int
    kind: str = Field(description="image or audio")
    content_type: str
    size: int
    url: str = Field(description="where the owner or staff download it on the site")


class MessageAnswer(Schema):
    id: int
    author: str = Field(description="owner or staff")
    internal: bool = Field(description="a staff-only note (only staff ever see one)")
    body: str
    created_at: datetime.datetime
    attachments: list[AttachmentAnswer]


class RatingAnswer(Schema):
    speed: int | None
    accuracy: int | None
    ease_of_use: int | None
    service: int | None
    comment: str
    created_at: datetime.datetime


class TicketAnswer(Schema):
    id: uuid.UUID
    category: str = Field(description="question, complaint, bug or suggestion")
    subject: str
    status: str = Field(description="open, answered or closed")
    verification_id: uuid.UUID | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    due_at: datetime.datetime = Field(description="staff's first answer is due by then")
    first_response_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    url: str = Field(description="the ticket's page on the site")


class TicketDetail(TicketAnswer):
    messages: list[MessageAnswer]
    rating: RatingAnswer | None


class TicketPage(Schema):
    items: list[TicketAnswer]
    next_cursor: str | None


class TicketIn(Schema):
    subject: str = Field(min_length=1, max_length=tickets.SUBJECT_LENGTH)
    body: str = Field(min_length=1, max_length=tickets.BODY_LENGTH)
    category: str = Field(description="question, complaint, bug or suggestion", max_length=20)
    verification_id: uuid.UUID | None = Field(None, description="a check of yours this is about")


class ReplyIn(Schema):
    body: str = Field(min_length=1, max_length=tickets.BODY_LENGTH)


class RatingIn(Schema):
    speed: int | None = Field(None, ge=1, le=5)
    accuracy: int | None = Field(None, ge=1, le=5)
    ease_of_use: int | None = Field(None, ge=1, le=5)
    service: int | None = Field(None, ge=1, le=5)
    comment: str = Field("", max_length=COMMENT_LENGTH)


class ListParams(Schema):
    status: str | None = Field(None, description="open, answered or closed", max_length=10)
    cursor: str | None = Field(None, description="next_cursor of the previous page", max_length=400)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT, description="items per page, 1–100")


def _caller(request) -> Caller:
    caller: Caller = request.auth
    caller.require(SCOPE)
    caller.require_signed_in()
    return caller


def _ticket(request, ticket_id: uuid.UUID) -> tuple[Caller, Ticket]:
    caller = _caller(request)
    return caller, tickets.ticket_for(caller.user, ticket_id)


def _refused(refused: tickets.Refused) -> ApiError:
    status = 409 if refused.code in NOT_NOW else 400
    return ApiError(status, f"ticket_{refused.code}", refused.message)


def answer(ticket: Ticket) -> dict:
    return {
        "id": ticket.public_id,
        "category": ticket.category,
        "subject": ticket.subject,
        "status": ticket.status,
        "verification_id": ticket.verification.public_id if ticket.verification_id else None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "due_at": ticket.due_at,
        "first_response_at": ticket.first_response_at,
        "closed_at": ticket.closed_at,
        "url": sla.ticket_url(ticket),
    }


def detail(ticket: Ticket, user) -> dict:
    rating = tickets.rating_of(ticket)
    site = sla.ticket_url(ticket)
    return {
        **answer(ticket),
        "messages": [
            {
                "id": message.pk,
                "author": "owner" if message.author_id == ticket.owner_id else "staff",
                "internal": message.internal,
                "body": message.body,
                "created_at": message.created_at,
                "attachments": [
                    {
                        "id": each.pk,
                        "kind": each.kind,
                        "content_type": each.content_type,
                        "size": each.size,
                        "url": f"{site}attachments/{each.pk}/",
                    }
                    for each in message.attachments.all()
                ],
            }
            for message in tickets.messages_for(ticket, user)
        ],
        "rating": None
        if rating is None
        else {
            "speed": rating.speed,
            "accuracy": rating.accuracy,
            "ease_of_use": rating.ease_of_use,
            "service": rating.service,
            "comment": rating.comment,
            "created_at": rating.created_at,
        },
    }


@router.post("", response={201: TicketDetail, **ERRORS}, auth=signed_in, url_name="tickets_open")
def open_ticket(request, body: TicketIn):
    """Open a ticket with its first message; staff answer within a day (``due_at``)."""
    caller = _caller(request)
    try:
        ticket = tickets.open_ticket(
            caller.user, body.category, body.subject, body.body, verification_id=body.verification_id
        )
    except tickets.Refused as refused:
        raise _refused(refused) from None
    return Status(201, detail(ticket, caller.user))


@router.get("", response={200: TicketPage, **ERRORS}, auth=signed_in, url_name="tickets")
def list_tickets(request, params: Query[ListParams]):
    """One's own tickets, newest first (staff: every ticket); pass ``next_cursor`` as ``cursor``."""
    caller = _caller(request)
    found = tickets.tickets_visible_to(caller.user).select_related("verification")
    if params.status:
        if params.status not in Ticket.Status.values:
            raise ApiError(
                400, "invalid_filter", "状态有误。status is open, answered or closed.", {"status": "unknown"}
            )
        found = found.filter(status=params.status)
    try:
        page = paging.page(found, params.cursor, params.limit)
    except paging.InvalidCursor:
        raise invalid_cursor() from None
    return {"items": [answer(ticket) for ticket in page.items], "next_cursor": page.next_cursor}


@router.get("/{uuid:ticket_id}", response={200: TicketDetail, **ERRORS}, auth=signed_in, url_name="ticket")
def get_ticket(request, ticket_id: uuid.UUID):
    """A ticket with its conversation (and, for staff, its internal notes) and its rating."""
    caller, ticket = _ticket(request, ticket_id)
    return detail(ticket, caller.user)


@router.post(
    "/{uuid:ticket_id}/replies",
    response={201: TicketDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="ticket_replies",
)
def reply(request, ticket_id: uuid.UUID, body: ReplyIn):
    """A message of the owner or staff (409 on a closed ticket)."""
    caller, ticket = _ticket(request, ticket_id)
    try:
        tickets.reply(ticket, caller.user, body.body)
    except tickets.Refused as refused:
        raise _refused(refused) from None
    return Status(201, detail(ticket, caller.user))


@router.post(
    "/{uuid:ticket_id}/close",
    response={200: TicketDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="ticket_close",
)
def close(request, ticket_id: uuid.UUID):
    """Close the ticket (its owner or staff; 409 when it is closed already)."""
    caller, ticket = _ticket(request, ticket_id)
    try:
        tickets.close(ticket, caller.user)
    except tickets.Refused as refused:
        raise _refused(refused) from None
    return detail(ticket, caller.user)


@router.post(
    "/{uuid:ticket_id}/reopen",
    response={200: TicketDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="ticket_reopen",
)
def reopen(request, ticket_id: uuid.UUID):
    """Open a closed ticket again (its owner or staff; 409 for one that is not closed)."""
    caller, ticket = _ticket(request, ticket_id)
    try:
        tickets.reopen(ticket, caller.user)
    except tickets.Refused as refused:
        raise _refused(refused) from None
    return detail(ticket, caller.user)


@router.post(
    "/{uuid:ticket_id}/ratings",
    response={201: RatingAnswer, **STEP_ERRORS},
    auth=signed_in,
    url_name="ticket_ratings",
)
def rate(request, ticket_id: uuid.UUID, body: RatingIn):
    """The owner rates the service of a closed ticket once, 1–5 per aspect (at least one); 409
    before it is closed or once it is rated."""
    caller, ticket = _ticket(request, ticket_id)
    scores = {name: getattr(body, name) for name in ("speed", "accuracy", "ease_of_use", "service")}
    try:
        rating = tickets.rate(ticket, caller.user, scores, body.comment)
    except tickets.Refused as refused:
        raise _refused(refused) from None
    return Status(
        201,
        {
            "speed": rating.speed,
            "accuracy": rating.accuracy,
            "ease_of_use": rating.ease_of_use,
            "service": rating.service,
            "comment": rating.comment,
            "created_at": rating.created_at,
        },
    )
