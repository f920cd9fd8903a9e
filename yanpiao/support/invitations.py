"""Survey invitations as a background task (Django's tasks API, the ``default`` queue).

One run of :func:`send_invitations` handles at most ``YANPIAO_SURVEY_SENDS_PER_MINUTE``
invitations not yet sent, then queues itself again a minute later while any are left: a large
audience is invited at that pace, not all at once.  For each invitation a fresh link token is
made (only its digest is kept, replacing the one stored at :func:`~yanpiao.support.surveys.send`,
which was never sent); the mail goes through :mod:`yanpiao.accounts.delivery` (retried, sent
after the transaction commits) to a confirmed e-mail address, the text message to a confirmed
phone.  Each message carries the answer link and the unsubscribe link.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks_db.backend import DatabaseBackend

from yanpiao import dbapi
from yanpiao.accounts import delivery
from yanpiao.support import surveys
from yanpiao.support.models import Invitation, Survey

logger = logging.getLogger(__name__)
AGAIN = datetime.timedelta(minutes=1)


@task()
def send_invitations(survey_id: int) -> int:
    """Send the next invitations of the survey; how many are still waiting."""
    return send_some(survey_id)


def enqueue(survey_id: int, run_after: datetime.datetime | None = None) -> None:
    """Queue a run: in the database backend inside the caller's transaction, any other backend
    once that transaction has committed."""
    queued = send_invitations.using(run_after=run_after) if run_after else send_invitations
    if isinstance(send_invitations.get_backend(), DatabaseBackend):
        queued.enqueue(survey_id)
    else:
        transaction.on_commit(lambda: queued.enqueue(survey_id))


def links(token: str) -> tuple[str, str]:
    """The answer link and the unsubscribe link of a token."""
    site = settings.YANPIAO_SITE_URL.rstrip("/")
    return f"{site}/surveys/respond/{token}/", f"{site}/surveys/unsubscribe/{token}/"


def send_some(survey_id: int, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    survey = Survey.objects.filter(pk=survey_id, status=Survey.Status.SENT).first()
    if survey is None:
        return 0
    waiting = Invitation.objects.filter(survey=survey, emailed_at__isnull=True, texted_at__isnull=True)
    with dbapi.serialized_writes(), transaction.atomic():
        batch = list(waiting.select_related("user").order_by("pk")[: surveys.per_run()])
        for invitation in batch:
            _invite(survey, invitation, now)
        left = waiting.count()
        if left:
            enqueue(survey_id, now + AGAIN)
    logger.info("survey %s: %s invitations sent, %s waiting", survey_id, len(batch), left)
    return left


def _invite(survey: Survey, invitation: Invitation, now: datetime.datetime) -> None:
    user = invitation.user
    token, invitation.token_digest = surveys.new_token()
    answer_link, unsubscribe_link = links(token)
    sent = []
    with translation.override("zh-hans"):
        if user.email and user.email_confirmed_at:
            subject = _("问卷邀请：%(title)s") % {"title": survey.title}
            body = _(
                "您好！\n\n邀请您填写问卷「%(title)s」。\n%(introduction)s\n\n填写问卷：%(link)s\n\n"
                "不想再收到问卷邀请：%(unsubscribe)s\n\n验票 Yanpiao"
            ) % {
                "title": survey.title,
                "introduction": survey.introduction,
                "link": answer_link,
                "unsubscribe": unsubscribe_link,
            }
            delivery.enqueue_mail(user.email, subject, body, valid=datetime.timedelta(days=7), now=now)
            invitation.emailed_at = now
            sent.append("emailed_at")
        if user.phone and user.phone_confirmed_at:
            text = _("【验票】邀请您填写问卷「%(title)s」：%(link)s 退订：%(unsubscribe)s") % {
                "title": survey.title,
                "link": answer_link,
                "unsubscribe": unsubscribe_link,
            }
            delivery.enqueue_text(user.phone, text, valid=datetime.timedelta(days=7), now=now)
            invitation.texted_at = now
            sent.append("texted_at")
    if not sent:  # no longer reachable: marked as handled so the queue moves on
        invitation.emailed_at = now
        sent.append("emailed_at")
    invitation.save(update_fields=["token_digest", *sent])
