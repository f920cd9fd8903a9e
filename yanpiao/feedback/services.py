"""Rate a verification's result and report its invoice as suspicious: what the web (and any other
channel) calls.

Whoever may see a verification may rate it and report it: it is fetched through
:func:`yanpiao.access.visibility.verification_for`, which raises
:class:`~yanpiao.access.visibility.NotVisible` to anyone else, anonymous users included (the
verification of an anonymous check is nobody's).  Input that breaks the models' rules (a score
outside 1–5, a comment too long, an unknown reason) raises
:class:`django.core.exceptions.ValidationError` and stores nothing.  Each change is one
transaction with its audit entry, which names the verification and the invoice but holds none
of the text the user wrote.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.access import visibility
from yanpiao.feedback.models import ASPECTS, Rating, SuspiciousReport
from yanpiao.security import audit
from yanpiao.verification.models import Verification

THEIRS = ["verification", "rater", "reporter"]  # fetched through the access layer: not validated again


def rate(user, verification_id, score: int, comment: str = "", aspects: dict | None = None) -> Rating:
    """Store ``user``'s rating of the verification ``verification_id`` (its public id), replacing
    any rating they gave it before.  ``aspects`` scores some of :data:`ASPECTS` 1–5 each (an
    aspect left out, or ``None``, is not rated); an unknown aspect is a ValidationError."""
    verification = visibility.verification_for(user, verification_id)
    aspects = {name: value for name, value in (aspects or {}).items() if value not in (None, "")}
    unknown = sorted(set(aspects) - set(ASPECTS))
    if unknown:
        raise ValidationError({name: "unknown aspect" for name in unknown})
    scores = {name: aspects.get(name) for name in ASPECTS}
    wanted = Rating(verification=verification, rater=user, score=score, comment=comment or "", **scores)
    wanted.full_clean(exclude=THEIRS, validate_unique=False, validate_constraints=False)
    with dbapi.serialized_writes(), transaction.atomic():
        rating, created = Rating.objects.update_or_create(
            verification=verification,
            rater=user,
            defaults={
                "score": wanted.score,
                "comment": wanted.comment,
                **{name: getattr(wanted, name) for name in ASPECTS},
                "created_at": timezone.now(),
            },
        )
        detail = {
            **_about(verification),
            "score": rating.score,
            "commented": bool(rating.comment),
            "replaced": not created,
        }
        rated = {name: getattr(rating, name) for name in ASPECTS if getattr(rating, name)}
        if rated:
            detail["aspects"] = rated  # scores only: never the comment
        audit.record(audit.Action.FEEDBACK_RATE, user, audit.target(rating), detail)
    return rating


def report(user, verification_id, reason: str, details: str = "") -> SuspiciousReport:
    """Store ``user``'s report that the invoice behind the verification ``verification_id`` (its
    public id) looks suspicious; it stays open until support closes it."""
    verification = visibility.verification_for(user, verification_id)
    suspicious = SuspiciousReport(
        verification=verification, reporter=user, reason=reason, details=details or ""
    )
    suspicious.full_clean(exclude=THEIRS)
    with dbapi.serialized_writes(), transaction.atomic():
        suspicious.save()
        audit.record(
            audit.Action.FEEDBACK_REPORT,
            user,
            audit.target(suspicious),
            {**_about(verification), "reason": suspicious.reason, "detailed": bool(suspicious.details)},
        )
        from yanpiao.alerts import services as alerts

        alerts.mark_invoice(alerts.Kind.REPORTED_BY_USER, verification.invoice_id, [verification.public_id])
    return suspicious


def _about(verification: Verification) -> dict:
    """What an audit entry says about the verification: its public id and registered invoice."""
    return {"verification": str(verification.public_id), "invoice_id": verification.invoice_id}
