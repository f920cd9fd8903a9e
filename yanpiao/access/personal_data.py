"""A user's own data, all of it: what ``/accounts/me/data/`` downloads (the right of access).

Everything Yanpiao keeps about the user, JSON-ready: the profile, the verification history
(as kept: personal data and secrets masked at rest), ratings and reports with what the user
wrote, API tokens (never their secrets) and two-factor devices.  The download is audited.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_otp import devices_for_user

from yanpiao.accounts.models import User
from yanpiao.security import audit
from yanpiao.verification.models import Verification


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_user_data(user: User) -> dict:
    """Everything Yanpiao keeps about ``user``, JSON-ready: profile, verification history, tokens."""
    audit.record(audit.Action.ACCOUNT_DATA_EXPORT, actor=user, target=audit.target(user))
    organisation = user.organisation
    history = Verification.objects.filter(actor=user).order_by("created_at", "pk")
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": user.pk,
            "email": user.email,
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "phone": user.phone,
            "phone_confirmed_at": _iso(user.phone_confirmed_at),
            "display_name": user.display_name,
            "role": user.role,
            "organisation": {"id": organisation.pk, "name": organisation.name} if organisation else None,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "privacy_notice_version": user.privacy_notice_version,
        },
        "verifications": [
            {
                "id": str(row.public_id),
                "created_at": _iso(row.created_at),
                "channel": row.channel,
                "submitted": row.submitted,
                "outcome": row.outcome,
                "differences": row.differences,
                "findings": row.findings,
            }
            for row in history.iterator()
        ],
        "api_tokens": [
            {
                "name": token.name,
                "prefix": token.prefix,
                "scopes": token.scopes,
                "created_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "last_used_at": _iso(token.last_used_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in user.api_tokens.order_by("created_at", "pk")
        ],
        # Through the account's own relations: the feedback app sits above this layer.
        "ratings": [
            {
                "verification": str(rating.verification.public_id),
                "score": rating.score,
                "comment": rating.comment,
                "created_at": _iso(rating.created_at),
            }
            for rating in user.ratings.select_related("verification").order_by("created_at", "pk")
        ],
        "suspicious_reports": [
            {
                "verification": str(report.verification.public_id),
                "reason": report.reason,
                "details": report.details,
                "status": report.status,
                "created_at": _iso(report.created_at),
            }
            for report in user.suspicious_reports.select_related("verification").order_by("created_at", "pk")
        ],
        "two_factor_devices": [
            {"name": device.name, "kind": type(device).__name__, "confirmed": device.confirmed}
            for device in devices_for_user(user, confirmed=None)
        ],
    }
