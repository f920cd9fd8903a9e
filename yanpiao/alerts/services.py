"""Alerts: raising them (de-duplicated), working them through, and who is told.

**Raising.**  :func:`raise_alert` keeps one alert per kind, subject and window
(``YANPIAO_ALERT_WINDOW_HOURS``, 24 by default; windows start at whole multiples of it since the
epoch): a repeat adds its evidence (at most :data:`~yanpiao.alerts.models.MAX_EVIDENCE` ids),
counts an occurrence and raises the severity if it is higher.  A new alert is audited
(``alert.raise``, no personal data) and its notifications queued in its transaction; a repeat is
not audited and tells nobody again unless its severity rose.  :func:`raise_for` turns a
verification's assessment into alerts (reasons scoring at least ``YANPIAO_ALERT_THRESHOLD``, 70;
``model`` reasons at least ``YANPIAO_ALERT_MODEL_THRESHOLD``, 90), :func:`raise_for_many` a batch
chunk's, and :func:`mark_invoice` what is said of an invoice outside a verification (a user's
report, a forged certificate).

**Working.**  Only auditors and admins act on alerts (anyone else: :class:`NotAllowed`)::

    open ──acknowledge──▶ acknowledged
    open | acknowledged ──resolve──▶ resolved        ──reopen──▶ open
    open | acknowledged ──false_positive──▶ false_positive ──reopen──▶ open

``assign`` and ``add_note`` leave the status as it is (no assigning of a closed alert).  A step
that does not apply raises :class:`InvalidTransition`.  Every step is one transaction with its
audit entry; a note's text is encrypted and stays out of the log.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.alerts import notifications, webhooks
from yanpiao.alerts.models import (
    MAX_EVIDENCE,
    SEVERITY_RANK,
    Alert,
    Delivery,
    Note,
    Severity,
    Subscription,
    Webhook,
)
from yanpiao.registry.models import Invoice
from yanpiao.risk import codes, signals
from yanpiao.risk import settings as risk_settings
from yanpiao.risk.assessment import Assessment, Event
from yanpiao.security import audit, keys, throttle

logger = logging.getLogger(__name__)

Kind, Status, Subject = Alert.Kind, Alert.Status, Alert.Subject
CLOSED = (Status.RESOLVED, Status.FALSE_POSITIVE)
NOTE_LENGTH = 2000
INPUT_REFUSALS = ("note_empty", "note_too_long", "not_staff")  # refusals of what was given, not of when
ADDRESS_KEY_PURPOSE = "alert subject address"

# The subject of each kind of alert: what it is about, declared once.
SUBJECT_OF = {
    codes.DUPLICATE_REIMBURSEMENT: Subject.INVOICE,
    codes.INVALID_STATUS_PRESENTED: Subject.INVOICE,
    codes.REPORTED_BY_USER: Subject.INVOICE,
    codes.FORGED_CERTIFICATE: Subject.INVOICE,
    codes.MODEL: Subject.INVOICE,
    codes.AMOUNT_OUTLIER: Subject.INVOICE,
    codes.FORGERY_PROBING: Subject.ACCOUNT,  # or the address, when the checks were anonymous
    codes.ENUMERATION: Subject.ACCOUNT,
    codes.ISSUANCE_BURST: Subject.SELLER,
    codes.NEAR_LIMIT_AMOUNTS: Subject.SELLER,
    codes.SELLER_ABNORMAL: Subject.SELLER,
}
# What is said of an invoice outside a verification, in plain words (how grave: the rule's weight).
MARKS = {
    codes.REPORTED_BY_USER: "A user reported the invoice as suspicious.",
    codes.FORGED_CERTIFICATE: "A certificate of a check of the invoice was forged or altered.",
}


class NotAllowed(PermissionDenied):
    """Only auditors and admins act on alerts, subscriptions and webhooks."""


class InvalidTransition(ValueError):
    """The step does not apply to the alert as it is now (``code`` says which rule)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- settings ------------------------------------------------------------------------------------


def window_hours() -> int:
    return max(1, int(getattr(settings, "YANPIAO_ALERT_WINDOW_HOURS", 24)))


def threshold() -> int:
    return int(getattr(settings, "YANPIAO_ALERT_THRESHOLD", 70))


def model_threshold() -> int:
    return int(getattr(settings, "YANPIAO_ALERT_MODEL_THRESHOLD", 90))


def window_start(at: datetime.datetime) -> datetime.datetime:
    """The start of the window ``at`` falls in: whole multiples of the window since the epoch."""
    length = window_hours() * 3600
    seconds = int(at.timestamp()) // length * length
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)


# --- raising -------------------------------------------------------------------------------------


def raise_alert(
    kind: str,
    severity: str,
    subject: str,
    subject_key,
    summary: str,
    evidence: Iterable = (),
    at: datetime.datetime | None = None,
    *,
    occurrences: int | None = None,
) -> Alert:
    """The alert of ``kind`` about ``subject``/``subject_key`` in the window of ``at`` (now):
    new, or the window's alert with this evidence added; see the module docstring.
    ``occurrences`` (default: one per evidence id, at least one) is how many times it was seen."""
    if kind not in Kind.values or severity not in Severity.values or subject not in Subject.values:
        raise ValueError(f"not an alert: {kind!r} {severity!r} {subject!r}")
    at = at or timezone.now()
    evidence = [str(each) for each in evidence]
    count = occurrences if occurrences is not None else max(1, len(evidence))
    key, start = str(subject_key)[:64], window_start(at)
    with dbapi.serialized_writes():
        try:
            with transaction.atomic():
                return _raise(kind, severity, subject, key, start, summary, evidence, count, at)
        except IntegrityError:  # another process created the window's alert meanwhile
            with transaction.atomic():
                return _raise(kind, severity, subject, key, start, summary, evidence, count, at)


def _raise(kind, severity, subject, key, start, summary, evidence, count, at) -> Alert:
    found = (
        Alert.objects.select_for_update()
        .filter(kind=kind, subject=subject, subject_key=key, window_start=start)
        .first()
    )
    if found is None:
        alert = Alert.objects.create(
            kind=kind,
            severity=severity,
            subject=subject,
            subject_key=key,
            window_start=start,
            summary=summary[:300],
            evidence=list(dict.fromkeys(evidence))[:MAX_EVIDENCE],
            occurrences=count,
            created_at=at,
            updated_at=at,
        )
        audit.record(
            audit.Action.ALERT_RAISE,
            None,
            audit.target(alert),
            {"kind": kind, "severity": severity, "subject": subject, "alert": str(alert.public_id)},
        )
        notifications.notify(alert)
        return alert
    rose = SEVERITY_RANK[severity] > SEVERITY_RANK[found.severity]
    kept = list(found.evidence)
    kept += [each for each in dict.fromkeys(evidence) if each not in kept]
    found.evidence = kept[:MAX_EVIDENCE]
    found.occurrences += count
    found.updated_at = max(found.updated_at, at)
    if rose:
        found.severity, found.summary = severity, summary[:300]
    found.save(update_fields=["evidence", "occurrences", "updated_at", "severity", "summary"])
    if rose:
        notifications.notify(found)
    return found


def subject_of(kind: str, event: Event) -> tuple[str, str] | None:
    """The subject and its key that an alert of ``kind`` about ``event`` is about; None when the
    event names none (no invoice found; an operator's check, from no account and no address)."""
    subject = SUBJECT_OF[kind]
    if subject == Subject.INVOICE:
        return (subject, str(event.invoice_id)) if event.invoice_id else None
    if subject == Subject.SELLER:
        if not event.invoice_id:
            return None
        seller = Invoice.objects.filter(pk=event.invoice_id).values_list("seller_id", flat=True).first()
        return (subject, str(seller)) if seller else None
    if event.actor_id:
        return Subject.ACCOUNT, str(event.actor_id)
    if event.client:
        return Subject.ADDRESS, address_key(event.client)
    return None


def address_key(address: str) -> str:
    """A keyed digest of the address as it is counted (an IPv6 address by its /64): an alert
    names an address without storing it."""
    counted = throttle.address_key(address).encode()
    return hmac.new(keys.derived_key(ADDRESS_KEY_PURPOSE), counted, hashlib.sha256).hexdigest()


def _alerting(assessment: Assessment):
    """The reasons of ``assessment`` worth an alert."""
    for reason in assessment.reasons:
        needed = model_threshold() if reason.code == codes.MODEL else threshold()
        if reason.code in SUBJECT_OF and reason.score >= needed:
            yield reason


def worth_alerting(assessment: Assessment) -> bool:
    """Whether any reason of ``assessment`` is worth an alert (else :func:`raise_for` raises none)."""
    return any(True for _ in _alerting(assessment))


def raise_for(event: Event, assessment: Assessment, verification_public_id) -> list[Alert]:
    """The alerts of one verification's assessment (the verification service calls this once
    the check has committed); one per reason worth one."""
    raised = []
    for reason in _alerting(assessment):
        about = subject_of(reason.code, event)
        if about is not None:
            raised.append(
                raise_alert(
                    reason.code,
                    codes.level(reason.score),
                    *about,
                    reason.message,
                    [verification_public_id] if verification_public_id else (),
                    event.at,
                )
            )
    return raised


def raise_for_many(pairs: Iterable) -> list[Alert]:
    """The alerts of a batch chunk: ``pairs`` of ``(event, assessment)`` or ``(event, assessment,
    verification_public_id)``; one alert per kind and subject for the whole chunk, with all its
    evidence, the highest severity and every occurrence counted."""
    grouped: dict[tuple, dict] = {}
    for pair in pairs:
        event, assessment, public_id = (*pair, None)[:3]
        for reason in _alerting(assessment):
            about = subject_of(reason.code, event)
            if about is None:
                continue
            group = grouped.setdefault(
                (reason.code, *about), {"reason": reason, "evidence": [], "count": 0, "at": event.at}
            )
            group["count"] += 1
            group["at"] = max(group["at"], event.at)
            if public_id:
                group["evidence"].append(public_id)
            if reason.score > group["reason"].score:
                group["reason"] = reason
    return [
        raise_alert(
            code,
            codes.level(group["reason"].score),
            subject,
            key,
            group["reason"].message,
            group["evidence"],
            group["at"],
            occurrences=group["count"],
        )
        for (code, subject, key), group in grouped.items()
    ]


def mark_invoice(kind: str, invoice_id: int | None, evidence: Iterable = ()) -> Alert | None:
    """What is said of a registered invoice outside a verification (``reported_by_user``,
    ``forged_certificate``): counted for the risk rules, and an alert about the invoice.
    Nothing for a check that found no invoice."""
    if not invoice_id:
        return None
    severity = codes.level(risk_settings.current().weights[kind])
    with dbapi.serialized_writes(), transaction.atomic():
        signals.mark(invoice_id, kind)
        return raise_alert(kind, severity, Subject.INVOICE, str(invoice_id), MARKS[kind], evidence)


# --- who may act ---------------------------------------------------------------------------------


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_staff_role)


def _require_staff(user) -> None:
    if not is_staff(user):
        raise NotAllowed("only auditors and admins act on alerts")


def open_count(user) -> int:
    """The badge's number: alerts waiting for someone (open, not yet acknowledged); 0 for
    anyone but auditors and admins."""
    if not is_staff(user):
        return 0
    return Alert.objects.filter(status=Status.OPEN).count()


def alerts_for(user, kind: str = "", status: str = "", severity: str = "") -> QuerySet[Alert]:
    """The alerts an auditor or admin lists, newest first, filtered (values already checked:
    :func:`check_filters`); none for anyone else."""
    if not is_staff(user):
        return Alert.objects.none()
    found = Alert.objects.all()
    if kind:
        found = found.filter(kind=kind)
    if status:
        found = found.filter(status=status)
    if severity:
        found = found.filter(severity=severity)
    return found.order_by("-created_at", "-id")


def check_filters(kind: str = "", status: str = "", severity: str = "") -> dict[str, str]:
    """What is wrong with list filters, by name (empty when nothing)."""
    problems = {}
    for name, value, allowed in (
        ("kind", kind, Kind.values),
        ("status", status, Status.values),
        ("severity", severity, Severity.values),
    ):
        if value and value not in allowed:
            problems[name] = f"one of {', '.join(allowed)}"
    return problems


# --- the workflow --------------------------------------------------------------------------------


def _step(alert: Alert, user, action: str, detail: dict | None = None, note: str = "") -> Alert:
    """Save the alert's change with its audit entry (and the note, if any), in one transaction."""
    alert.updated_at = timezone.now()
    alert.save()
    if note:
        Note.objects.create(alert=alert, author=user, text=note)
    audit.record(
        action,
        user,
        audit.target(alert),
        {
            "alert": str(alert.public_id),
            "status": alert.status,
            **(detail or {}),
            **({"noted": True} if note else {}),
        },
    )
    return alert


def _fresh(alert: Alert) -> Alert:
    """The alert as it is now, locked for the step."""
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _note_text(text: str, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidTransition("note_empty", "a note needs some text")
    if len(text) > NOTE_LENGTH:
        raise InvalidTransition("note_too_long", f"a note is at most {NOTE_LENGTH} characters")
    return text


def _apply(alert: Alert, user, change) -> Alert:
    _require_staff(user)
    with dbapi.serialized_writes(), transaction.atomic():
        change(_fresh(alert))
    alert.refresh_from_db()
    return alert


def acknowledge(alert: Alert, user) -> Alert:
    def change(current):
        if current.status != Status.OPEN:
            raise InvalidTransition("not_open", "only an open alert can be acknowledged")
        current.status = Status.ACKNOWLEDGED
        return _step(current, user, audit.Action.ALERT_ACKNOWLEDGE)

    return _apply(alert, user, change)


def assign(alert: Alert, user, assignee) -> Alert:
    """Give the alert to an auditor or admin (None: to nobody)."""
    if assignee is not None and not is_staff(assignee):
        raise InvalidTransition("not_staff", "an alert is assigned to an auditor or an admin")

    def change(current):
        if current.status in CLOSED:
            raise InvalidTransition("closed", "a closed alert is not assigned; reopen it first")
        current.assignee = assignee
        return _step(
            current, user, audit.Action.ALERT_ASSIGN, {"assignee": assignee.pk if assignee else None}
        )

    return _apply(alert, user, change)


def _close(alert: Alert, user, status: str, action: str, note: str) -> Alert:
    text = _note_text(note)

    def change(current):
        if current.status in CLOSED:
            raise InvalidTransition("closed", "the alert is closed already; reopen it first")
        current.status, current.closed_at = status, timezone.now()
        return _step(current, user, action, note=text)

    return _apply(alert, user, change)


def resolve(alert: Alert, user, note: str = "") -> Alert:
    return _close(alert, user, Status.RESOLVED, audit.Action.ALERT_RESOLVE, note)


def false_positive(alert: Alert, user, note: str = "") -> Alert:
    return _close(alert, user, Status.FALSE_POSITIVE, audit.Action.ALERT_FALSE_POSITIVE, note)


def reopen(alert: Alert, user) -> Alert:
    def change(current):
        if current.status not in CLOSED:
            raise InvalidTransition("not_closed", "only a resolved or false-positive alert can be reopened")
        current.status, current.closed_at = Status.OPEN, None
        return _step(current, user, audit.Action.ALERT_REOPEN)

    return _apply(alert, user, change)


def add_note(alert: Alert, user, text: str) -> Note:
    _require_staff(user)
    text = _note_text(text, required=True)
    with dbapi.serialized_writes(), transaction.atomic():
        note = Note.objects.create(alert=alert, author=user, text=text)
        Alert.objects.filter(pk=alert.pk).update(updated_at=note.created_at)
        audit.record(audit.Action.ALERT_NOTE, user, audit.target(alert), {"alert": str(alert.public_id)})
    return note


def notes_of(alert: Alert) -> list[Note]:
    return list(alert.notes.select_related("author").order_by("created_at", "pk"))


BULK_ACTIONS = {
    "acknowledge": acknowledge,
    "resolve": resolve,
    "false_positive": false_positive,
    "reopen": reopen,
}


def bulk(action: str, alerts: Iterable[Alert], user) -> int:
    """Take ``action`` on each alert it applies to; how many it applied to (the others are left)."""
    _require_staff(user)
    step = BULK_ACTIONS.get(action)
    if step is None:
        raise InvalidTransition("unknown_action", f"choose one of {', '.join(BULK_ACTIONS)}")
    done = 0
    for alert in alerts:
        try:
            step(alert, user)
        except InvalidTransition:
            continue
        done += 1
    return done


def view(alert: Alert, user) -> Alert:
    """Record that an auditor opened the alert and its evidence."""
    _require_staff(user)
    audit.record(audit.Action.ALERT_VIEW, user, audit.target(alert), {"alert": str(alert.public_id)})
    return alert


# --- subscriptions and webhooks ------------------------------------------------------------------


def _kinds(kinds: Iterable[str]) -> list[str]:
    kinds = sorted(set(kinds or ()))
    unknown = [kind for kind in kinds if kind not in Kind.values]
    if unknown:
        raise ValueError(f"unknown kinds: {', '.join(unknown)}")
    return kinds


def _severity(value: str) -> str:
    if value not in Severity.values:
        raise ValueError(f"severity: one of {', '.join(Severity.values)}")
    return value


def subscription_of(user) -> Subscription | None:
    return Subscription.objects.filter(user=user).order_by("pk").first() if is_staff(user) else None


def subscribe(user, kinds: Iterable[str] = (), min_severity: str = Severity.MEDIUM) -> Subscription:
    """``user`` (an auditor or admin) wants an e-mail of these kinds (every kind: none listed)
    from ``min_severity`` up; replaces their subscription."""
    _require_staff(user)
    kinds, min_severity = _kinds(kinds), _severity(min_severity)
    with dbapi.serialized_writes(), transaction.atomic():
        subscription = Subscription.objects.filter(user=user).order_by("pk").first() or Subscription(
            user=user
        )
        subscription.kinds, subscription.min_severity = kinds, min_severity
        subscription.save()
        Subscription.objects.filter(user=user).exclude(pk=subscription.pk).delete()
        audit.record(
            audit.Action.ALERT_SUBSCRIPTION_CHANGE,
            user,
            audit.target(subscription),
            {"kinds": kinds, "min_severity": min_severity, "subscribed": True},
        )
    return subscription


def unsubscribe(user) -> None:
    _require_staff(user)
    with dbapi.serialized_writes(), transaction.atomic():
        removed, _ = Subscription.objects.filter(user=user).delete()
        if removed:
            audit.record(
                audit.Action.ALERT_SUBSCRIPTION_CHANGE, user, "alerts.subscription", {"subscribed": False}
            )


def _secret() -> str:
    import secrets

    return "whsec_" + secrets.token_urlsafe(32)


def create_webhook(
    user, name: str, url: str, kinds: Iterable[str] = (), min_severity: str = Severity.MEDIUM
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (shown once to whoever created it; stored encrypted).
    :class:`~yanpiao.alerts.webhooks.InvalidUrl` or ValueError for what does not do."""
    _require_staff(user)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValueError("a webhook needs a name of at most 100 characters")
    hook = Webhook(
        name=name,
        url=webhooks.check_url(url),
        secret=_secret(),
        kinds=_kinds(kinds),
        min_severity=_severity(min_severity),
    )
    with dbapi.serialized_writes(), transaction.atomic():
        hook.save()
        audit.record(audit.Action.WEBHOOK_CREATE, user, audit.target(hook), _webhook_detail(hook))
    return hook, hook.secret


def update_webhook(webhook: Webhook, user, *, rotate_secret: bool = False, **changes) -> Webhook:
    """Change a webhook's ``name``, ``url``, ``kinds``, ``min_severity`` or ``active``; with
    ``rotate_secret`` a new secret (read it from the webhook returned)."""
    _require_staff(user)
    unknown = set(changes) - {"name", "url", "kinds", "min_severity", "active"}
    if unknown:
        raise ValueError(f"not a webhook setting: {', '.join(sorted(unknown))}")
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > 100:
            raise ValueError("a webhook needs a name of at most 100 characters")
        webhook.name = name
    if "url" in changes:
        webhook.url = webhooks.check_url(changes["url"])
    if "kinds" in changes:
        webhook.kinds = _kinds(changes["kinds"])
    if "min_severity" in changes:
        webhook.min_severity = _severity(changes["min_severity"])
    if "active" in changes:
        webhook.active = bool(changes["active"])
    if rotate_secret:
        webhook.secret = _secret()
    with dbapi.serialized_writes(), transaction.atomic():
        webhook.save()
        audit.record(
            audit.Action.WEBHOOK_CHANGE,
            user,
            audit.target(webhook),
            {**_webhook_detail(webhook), "changed": sorted(changes), "secret_rotated": rotate_secret},
        )
    return webhook


def _webhook_detail(hook: Webhook) -> dict:
    """What the log says of a webhook: never its secret, nor its address's path (it may hold a token)."""
    from urllib.parse import urlsplit

    return {
        "host": urlsplit(hook.url).hostname or "",
        "kinds": hook.kinds,
        "min_severity": hook.min_severity,
        "active": hook.active,
    }


def redeliver(delivery: Delivery, user) -> Delivery:
    """Send the alert to the webhook again, from a first attempt (a failed delivery, or a
    delivered one the receiver lost)."""
    _require_staff(user)
    with dbapi.serialized_writes(), transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        previous = delivery.status
        delivery.status, delivery.attempts = Delivery.Status.PENDING, 0
        delivery.next_attempt_at, delivery.last_error, delivery.delivered_at = timezone.now(), "", None
        delivery.save()
        audit.record(
            audit.Action.WEBHOOK_REDELIVER,
            user,
            audit.target(delivery),
            {"webhook": delivery.webhook_id, "alert": delivery.alert_id, "was": previous},
        )
        notifications.queue_delivery(delivery)
    return delivery


def deliveries_of(alert: Alert) -> QuerySet[Delivery]:
    return alert.deliveries.select_related("webhook").order_by("pk")
