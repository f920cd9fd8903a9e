"""Risk alerts, for auditors and admins: ``GET /alerts`` (filtered, cursor-paged),
``GET /alerts/{id}`` (with its evidence, notes and webhook deliveries), and the workflow:
``POST /alerts/{id}/acknowledge``, ``/resolve``, ``/false-positive``, ``/reopen``, ``/assign``,
``/notes``.

Thin adapters over :mod:`yanpiao.alerts.services`.  Anyone but an auditor or an admin gets 404,
for the list too: alerts are not theirs to know exist (:func:`yanpiao.access.visibility.alert_visible_to`).
A token needs the scope :data:`SCOPE`; a step that does not apply to the alert as it is answers 409.
"""

from __future__ import annotations

import datetime
import uuid

from ninja import Query, Schema, Status
from pydantic import Field

from yanpiao.access import visibility
from yanpiao.accounts.models import User
from yanpiao.alerts import services, webhooks
from yanpiao.alerts.models import Alert
from yanpiao.api import routers
from yanpiao.api.callers import Caller, signed_in
from yanpiao.api.errors import ApiError, Error, invalid_cursor
from yanpiao.history import paging

router = routers.alerts
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 429: Error}
STEP_ERRORS = {**ERRORS, 409: Error}
SCOPE = "alerts"


class AlertAnswer(Schema):
    """An alert: what kind, how grave, about what (``subject``: invoice, account, address or
    seller; never who), where it stands, and how often it was seen."""

    id: uuid.UUID
    kind: str = Field(description="duplicate_reimbursement, forgery_probing, … (docs/alerts.md)")
    severity: str = Field(description="low, medium or high")
    status: str = Field(description="open, acknowledged, resolved or false_positive")
    subject: str = Field(description="invoice, account, address or seller")
    summary: str
    occurrences: int
    evidence: list[str] = Field(description="public ids of the verifications behind it (at most 50)")
    assignee_id: int | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    closed_at: datetime.datetime | None
    url: str = Field(description="the alert's page on the site")


class NoteAnswer(Schema):
    author_id: int | None
    text: str
    created_at: datetime.datetime


class DeliveryAnswer(Schema):
    id: int
    webhook: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_error: str
    delivered_at: datetime.datetime | None


class AlertDetail(AlertAnswer):
    notes: list[NoteAnswer]
    deliveries: list[DeliveryAnswer]


class AlertPage(Schema):
    items: list[AlertAnswer]
    next_cursor: str | None


class ListParams(Schema):
    kind: str | None = Field(None, description="one kind", max_length=40)
    status: str | None = Field(
        None, description="open, acknowledged, resolved or false_positive", max_length=20
    )
    severity: str | None = Field(None, description="low, medium or high", max_length=10)
    cursor: str | None = Field(None, description="next_cursor of the previous page", max_length=400)
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT, description="items per page, 1–100")


class NoteIn(Schema):
    note: str = Field("", max_length=services.NOTE_LENGTH, description="why (optional; kept encrypted)")


class NoteText(Schema):
    text: str = Field(min_length=1, max_length=services.NOTE_LENGTH)


class AssignIn(Schema):
    assignee_id: int | None = Field(description="an auditor's or admin's user id; null: nobody")


def _caller(request) -> Caller:
    caller: Caller = request.auth
    caller.require(SCOPE)
    return caller


def _alert(request, alert_id: uuid.UUID) -> tuple[Caller, Alert]:
    caller = _caller(request)
    return caller, visibility.alert_visible_to(caller.user, alert_id)


def answer(alert: Alert) -> dict:
    return {
        "id": alert.public_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "status": alert.status,
        "subject": alert.subject,
        "summary": alert.summary,
        "occurrences": alert.occurrences,
        "evidence": [str(each) for each in alert.evidence],
        "assignee_id": alert.assignee_id,
        "created_at": alert.created_at,
        "updated_at": alert.updated_at,
        "closed_at": alert.closed_at,
        "url": webhooks.alert_url(alert),
    }


def detail(alert: Alert) -> dict:
    return {
        **answer(alert),
        "notes": [
            {"author_id": note.author_id, "text": note.text, "created_at": note.created_at}
            for note in services.notes_of(alert)
        ],
        "deliveries": [
            {
                "id": each.pk,
                "webhook": each.webhook.name,
                "status": each.status,
                "attempts": each.attempts,
                "last_status_code": each.last_status_code,
                "last_error": each.last_error,
                "delivered_at": each.delivered_at,
            }
            for each in services.deliveries_of(alert)
        ],
    }


@router.get("", response={200: AlertPage, **ERRORS}, auth=signed_in, url_name="alerts")
def list_alerts(request, params: Query[ListParams]):
    """Every alert (auditors and admins; 404 for anyone else), newest first; pass
    ``next_cursor`` as ``cursor`` for the next page."""
    caller = _caller(request)
    if not services.is_staff(caller.user):
        raise ApiError(404)
    filters = {name: (getattr(params, name) or "").strip() for name in ("kind", "status", "severity")}
    problems = services.check_filters(**filters)
    if problems:
        raise ApiError(
            400, "invalid_filter", "筛选条件有误。Some filters are not valid; see fields.", problems
        )
    try:
        found = paging.page(services.alerts_for(caller.user, **filters), params.cursor, params.limit)
    except paging.InvalidCursor:
        raise invalid_cursor() from None
    return {"items": [answer(alert) for alert in found.items], "next_cursor": found.next_cursor}


@router.get("/{uuid:alert_id}", response={200: AlertDetail, **ERRORS}, auth=signed_in, url_name="alert")
def get_alert(request, alert_id: uuid.UUID):
    """One alert with its evidence, notes and webhook deliveries (opening it is audited)."""
    caller, alert = _alert(request, alert_id)
    services.view(alert, caller.user)
    return detail(alert)


def _step(request, alert_id: uuid.UUID, take) -> dict:
    caller, alert = _alert(request, alert_id)
    try:
        take(alert, caller.user)
    except services.InvalidTransition as refused:
        status = 400 if refused.code in services.INPUT_REFUSALS else 409  # bad input, or not now
        raise ApiError(status, f"alert_{refused.code}", refused.message) from None
    return detail(alert)


@router.post(
    "/{uuid:alert_id}/acknowledge",
    response={200: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_acknowledge",
)
def acknowledge(request, alert_id: uuid.UUID):
    """Someone is on it: an open alert becomes acknowledged (409 for any other)."""
    return _step(request, alert_id, services.acknowledge)


@router.post(
    "/{uuid:alert_id}/resolve",
    response={200: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_resolve",
)
def resolve(request, alert_id: uuid.UUID, body: NoteIn):
    """Close the alert as dealt with, with an optional note (409 when it is closed already)."""
    return _step(request, alert_id, lambda alert, user: services.resolve(alert, user, body.note))


@router.post(
    "/{uuid:alert_id}/false-positive",
    response={200: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_false_positive",
)
def false_positive(request, alert_id: uuid.UUID, body: NoteIn):
    """Close the alert as a false positive, with an optional note (409 when it is closed already)."""
    return _step(request, alert_id, lambda alert, user: services.false_positive(alert, user, body.note))


@router.post(
    "/{uuid:alert_id}/reopen",
    response={200: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_reopen",
)
def reopen(request, alert_id: uuid.UUID):
    """Open a resolved or false-positive alert again (409 for one that is not closed)."""
    return _step(request, alert_id, services.reopen)


@router.post(
    "/{uuid:alert_id}/assign",
    response={200: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_assign",
)
def assign(request, alert_id: uuid.UUID, body: AssignIn):
    """Give the alert to an auditor or admin (``null``: to nobody); 400 for anyone else."""
    assignee = None
    if body.assignee_id is not None:
        assignee = User.objects.filter(pk=body.assignee_id).first()
        if assignee is None or not services.is_staff(assignee):
            raise ApiError(
                400,
                "invalid_assignee",
                "只能指派给审计员或管理员。An alert is assigned to an auditor or an admin.",
                {"assignee_id": "not an auditor or admin"},
            )
    return _step(request, alert_id, lambda alert, user: services.assign(alert, user, assignee))


@router.post(
    "/{uuid:alert_id}/notes",
    response={201: AlertDetail, **STEP_ERRORS},
    auth=signed_in,
    url_name="alert_notes",
)
def add_note(request, alert_id: uuid.UUID, body: NoteText):
    """Add a note to the alert (kept encrypted; the audit log records only that one was added)."""
    found = _step(request, alert_id, lambda alert, user: services.add_note(alert, user, body.text))
    return Status(201, found)
