"""The first-response promise of tickets: staff answer within ``YANPIAO_TICKET_SLA_HOURS`` (24).

A ticket's ``due_at`` is its ``created_at`` plus those hours.  :func:`flag_overdue` finds the
tickets still without a staff answer past it and, for each, tells its assignee by e-mail (with
no assignee: every active admin) exactly once: an ``UPDATE … WHERE overdue_notified_at IS NULL``
claims the ticket, so of two workers looking at once only the one whose update changed the row
sends the mail; the claim, the mail job and the audit entry (``ticket.overdue``) commit together.

The worker runs :func:`check_overdue` (a django-tasks task) whenever :func:`schedule` finds one
due and none waiting, like the risk model's retraining (:mod:`yanpiao.risk.tasks`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from yanpiao import dbapi, periodic
from yanpiao.accounts import delivery as mail
from yanpiao.accounts.models import Role, User
from yanpiao.security import audit
from yanpiao.support.models import Ticket

QUEUE = "default"
RUNNING_FOR = datetime.timedelta(minutes=10)


def hours() -> int:
    return max(1, int(getattr(settings, "YANPIAO_TICKET_SLA_HOURS", 24)))


def due_at(created_at: datetime.datetime) -> datetime.datetime:
    """When staff's first answer to a ticket created at ``created_at`` is due."""
    return created_at + datetime.timedelta(hours=hours())


def overdue(now: datetime.datetime | None = None):
    """The tickets past their promise without a staff answer (closed ones excepted)."""
    return Ticket.objects.filter(first_response_at__isnull=True, due_at__lt=now or timezone.now()).exclude(
        status=Ticket.Status.CLOSED
    )


def recipients(ticket: Ticket) -> list[str]:
    """Who is told: the assignee, or with none every active admin; those with an e-mail address."""
    if ticket.assignee_id:
        people = User.objects.filter(pk=ticket.assignee_id, is_active=True)
    else:
        people = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
    return [person.email for person in people if person.email]


def ticket_url(ticket: Ticket) -> str:
    return f"{settings.YANPIAO_SITE_URL.rstrip('/')}/tickets/{ticket.public_id}/"


def message(ticket: Ticket) -> tuple[str, str]:
    """The mail's subject and body; neither the ticket's subject nor its messages (personal data)."""
    with translation.override("zh-hans"):
        category = ticket.get_category_display()
    subject = f"[验票] 工单超时未回复：{category}"
    body = (
        f"这张{category}工单已超过 {hours()} 小时未得到首次回复。\n"
        f"A {ticket.category} ticket has waited more than {hours()} hours for a first answer.\n\n"
        f"提交时间 Opened: {ticket.created_at:%Y-%m-%d %H:%M} UTC\n"
        f"查看与回复 Answer: {ticket_url(ticket)}\n"
    )
    return subject, body


def flag_overdue(now: datetime.datetime | None = None) -> list[Ticket]:
    """Flag every overdue ticket not flagged yet and tell its assignee; the tickets flagged now."""
    now = now or timezone.now()
    flagged = []
    with dbapi.serialized_writes():  # SQLite: no reading while another writer holds the table
        found = list(overdue(now).filter(overdue_notified_at__isnull=True).values_list("pk", flat=True))
    for ticket_id in found:
        with dbapi.serialized_writes(), transaction.atomic():
            claimed = Ticket.objects.filter(pk=ticket_id, overdue_notified_at__isnull=True).update(
                overdue_notified_at=now
            )
            if not claimed:  # another worker got there first
                continue
            ticket = Ticket.objects.get(pk=ticket_id)
            told = recipients(ticket)
            subject, body = message(ticket)
            for address in told:
                mail.enqueue_mail(address, subject, body)
            audit.record(
                audit.Action.TICKET_OVERDUE,
                None,
                audit.target(ticket),
                {
                    "ticket": str(ticket.public_id),
                    "assignee": ticket.assignee_id,
                    "told": len(told),
                    "due_at": ticket.due_at.isoformat(),
                },
            )
        flagged.append(ticket)
    return flagged


@task(queue_name=QUEUE)
def check_overdue() -> int:
    """Flag the overdue tickets and tell their assignees; how many were flagged."""
    return len(flag_overdue())


def waiting(now: datetime.datetime | None = None) -> bool:
    """Whether a check is queued, or running since less than RUNNING_FOR (database backend only)."""
    return periodic.pending(check_overdue, RUNNING_FOR, now)


def schedule(now: datetime.datetime | None = None) -> bool:
    """Enqueue a check when a ticket is overdue and unflagged and none is waiting; whether one was."""
    if not overdue(now).filter(overdue_notified_at__isnull=True).exists() or waiting(now):
        return False
    check_overdue.enqueue()
    return True


__all__ = ["check_overdue", "due_at", "flag_overdue", "hours", "overdue", "schedule", "waiting"]
