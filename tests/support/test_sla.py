"""The first-response promise: a ticket staff have not answered within a day is flagged and its
assignee (or, with none, every admin) e-mailed exactly once, however many workers look; a ticket
answered in time is not."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.support.loopback import smtp_server
from yanpiao.accounts.models import Role
from yanpiao.security import audit
from yanpiao.support import sla, tickets
from yanpiao.support.models import Ticket

LATER = datetime.timedelta(hours=25)


@pytest.fixture
def smtp(settings):
    """Mail leaves as it is queued, to an SMTP server on loopback."""
    with smtp_server(settings) as mailbox:
        yield mailbox


@pytest.fixture
def people(make_user):
    owner = make_user(email="ke.hu@example.com")
    auditor = make_user(Role.AUDITOR, email="shen.ji@example.com")
    admin = make_user(Role.ADMIN, email="guan.li@example.com")
    return owner, auditor, admin


@pytest.mark.django_db
def test_a_ticket_is_due_a_day_after_it_is_opened(settings, people):
    ticket = tickets.open_ticket(people[0], "question", "x", "y")
    assert ticket.due_at == ticket.created_at + datetime.timedelta(hours=24)
    settings.YANPIAO_TICKET_SLA_HOURS = 4
    assert sla.due_at(ticket.created_at) == ticket.created_at + datetime.timedelta(hours=4)


@pytest.mark.django_db
def test_an_overdue_ticket_is_flagged_and_its_assignee_told_once(smtp, people, audit_events):
    owner, auditor, _admin = people
    ticket = tickets.open_ticket(owner, "complaint", "退款", "我的私事")
    tickets.assign(ticket, auditor, auditor)
    assert sla.flag_overdue(timezone.now()) == []
    flagged = sla.flag_overdue(timezone.now() + LATER)
    assert [each.pk for each in flagged] == [ticket.pk]
    assert sla.flag_overdue(timezone.now() + LATER * 2) == []
    assert smtp.recipients() == ["shen.ji@example.com"]
    assert "超时" in smtp.messages[0]["Subject"]
    assert str(ticket.public_id) in smtp.messages[0].get_content()
    assert "我的私事" not in smtp.messages[0].get_content() and "退款" not in smtp.messages[0].get_content()
    assert Ticket.objects.get(pk=ticket.pk).overdue_notified_at is not None
    overdue = [e for e in audit_events if e["action"] == audit.Action.TICKET_OVERDUE]
    assert len(overdue) == 1 and overdue[0]["actor"] is None


@pytest.mark.django_db
def test_without_an_assignee_every_admin_is_told(smtp, people):
    tickets.open_ticket(people[0], "bug", "x", "y")
    sla.flag_overdue(timezone.now() + LATER)
    assert smtp.recipients() == ["guan.li@example.com"]


@pytest.mark.django_db
def test_a_ticket_answered_or_closed_in_time_is_not_flagged(smtp, people):
    owner, auditor, _admin = people
    answered = tickets.open_ticket(owner, "question", "x", "y")
    tickets.reply(answered, auditor, "答复")
    closed = tickets.open_ticket(owner, "question", "x", "y")
    tickets.close(closed, owner)
    assert sla.flag_overdue(timezone.now() + LATER) == []
    assert smtp.messages == []
    assert sla.overdue(timezone.now() + LATER).count() == 0


@pytest.mark.django_db
def test_the_worker_schedules_a_check_only_when_a_ticket_is_overdue(smtp, people):
    ticket = tickets.open_ticket(people[0], "question", "x", "y")
    assert sla.schedule() is False
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    assert sla.schedule() is True
    assert sla.schedule() is False  # one is waiting
    assert DBTaskResult.objects.filter(task_path=sla.check_overdue.module_path).count() == 1
    assert sla.check_overdue.call() == 1
    assert smtp.recipients() == ["guan.li@example.com"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_tell_the_assignee_once(smtp, people):
    owner, auditor, _admin = people
    for _ in range(3):
        ticket = tickets.open_ticket(owner, "question", "x", "y")
        tickets.assign(ticket, auditor, auditor)
    later, start, results, errors = timezone.now() + LATER, threading.Barrier(2), [], []

    def look():
        try:
            start.wait()
            results.append(len(sla.flag_overdue(later)))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=look) for _ in range(2)]
    for each in workers:
        each.start()
    for each in workers:
        each.join()
    assert errors == []
    assert sum(results) == 3  # each ticket claimed by one worker
    assert smtp.recipients() == ["shen.ji@example.com"] * 3
