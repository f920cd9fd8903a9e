"""Who is told of an alert, and how: an e-mail to each subscribed auditor (through the accounts'
mail queue, with its retries) and a signed POST to each matching webhook (a :class:`Delivery`
and its task, :mod:`yanpiao.alerts.tasks`).

A subscription or a webhook matches an alert of a kind it lists (every kind when it lists none)
and a severity at least its ``min_severity``.  Only active auditors and admins with an e-mail
address are mailed: a subscription outlives a change of role, the mail does not.
"""

from __future__ import annotations

from django.utils import translation

from yanpiao.accounts import delivery as mail
from yanpiao.alerts import tasks, webhooks
from yanpiao.alerts.models import SEVERITY_RANK, Alert, Delivery, Subscription, Webhook


def matches(kinds, min_severity: str, alert: Alert) -> bool:
    """Whether a subscription or webhook with these settings wants ``alert``."""
    return (not kinds or alert.kind in kinds) and SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[min_severity]


def recipients(alert: Alert) -> list[str]:
    """The e-mail addresses of the subscribed auditors and admins who want ``alert``."""
    found = []
    for subscription in Subscription.objects.select_related("user").order_by("pk"):
        user = subscription.user
        if not (user.is_active and user.has_staff_role and user.email):
            continue
        if matches(subscription.kinds, subscription.min_severity, alert) and user.email not in found:
            found.append(user.email)
    return found


def message(alert: Alert) -> tuple[str, str]:
    """The mail's subject and body (Chinese, as the site's default; the summary is in English)."""
    with translation.override("zh-hans"):
        kind, severity = alert.get_kind_display(), alert.get_severity_display()
    subject = f"[验票] 风险预警：{kind}（{severity}）"
    body = (
        f"{kind}（{severity}）\n\n"
        f"{alert.summary}\n\n"
        f"出现次数 Occurrences: {alert.occurrences}\n"
        f"查看与处理 Review: {webhooks.alert_url(alert)}\n\n"
        "您订阅了验票的风险预警；在预警页面可修改订阅。\n"
        "You subscribed to Yanpiao's risk alerts; change the subscription on the alerts page.\n"
    )
    return subject, body


def notify(alert: Alert) -> None:
    """Queue every notification of ``alert``; call inside the transaction that raised it (the
    mail jobs and delivery tasks commit with it)."""
    subject, body = message(alert)
    for address in recipients(alert):
        mail.enqueue_mail(address, subject, body)
    for hook in Webhook.objects.filter(active=True).order_by("pk"):
        if matches(hook.kinds, hook.min_severity, alert):
            queue_delivery(Delivery.objects.create(webhook=hook, alert=alert))


def queue_delivery(delivery: Delivery) -> None:
    """Queue the next attempt of a pending delivery (its first, or the first after a reset)."""
    tasks.enqueue(delivery.pk, delivery.attempts + 1)
