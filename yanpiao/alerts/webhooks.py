"""Signed webhooks: the JSON an alert is sent as, its signature, one attempt at sending it, and the
back-off between attempts.

The body is the alert as JSON (:func:`payload`); two headers go with it:

- ``X-Yanpiao-Timestamp``: the time of the attempt, in unix seconds;
- ``X-Yanpiao-Signature``: ``sha256=`` and the hex HMAC-SHA256, under the webhook's secret, of
  ``f"{timestamp}.{body}"``.

A receiver recomputes the signature over the bytes it received and refuses a stale timestamp
(docs/alerts.md has a snippet).  An attempt is the one POST, with a timeout of
:data:`TIMEOUT` seconds, redirects not followed; a 2xx answer delivers, anything else fails it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from yanpiao.alerts.models import Alert

TIMEOUT = 5.0  # seconds, per attempt
MAX_ATTEMPTS = 6
FIRST_BACKOFF = datetime.timedelta(seconds=30)  # then 60, 120, 240, 480 s
SCHEMES = ("http", "https")
USER_AGENT = "Yanpiao-Webhook/1"


class InvalidUrl(ValueError):
    """A webhook address Yanpiao will not post to."""


def check_url(url: str) -> str:
    """``url`` stripped, if it is an http or https address with a host and no credentials in it."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise InvalidUrl("not a web address") from None
    if parts.scheme.lower() not in SCHEMES:
        raise InvalidUrl("only http and https addresses are allowed")
    if not parts.hostname:
        raise InvalidUrl("the address names no host")
    if parts.username or parts.password:
        raise InvalidUrl("credentials do not belong in the address; the signature authenticates")
    if len(url) > 500:
        raise InvalidUrl("at most 500 characters")
    return url


def alert_url(alert: Alert) -> str:
    """The alert's page on the site, for whoever is told of it."""
    return f"{settings.YANPIAO_SITE_URL.rstrip('/')}/alerts/{alert.public_id}/"


def payload(alert: Alert) -> dict:
    """What a webhook receives of an alert: nothing personal, nothing of another organisation."""
    return {
        "id": str(alert.public_id),
        "kind": alert.kind,
        "severity": alert.severity,
        "subject": alert.subject,
        "summary": alert.summary,
        "occurrences": alert.occurrences,
        "created_at": alert.created_at.astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "url": alert_url(alert),
    }


def body(alert: Alert) -> bytes:
    return json.dumps(payload(alert), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, content: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 under ``secret`` of ``f"{timestamp}.{body}"``.

    >>> signature("s3cret", 1700000000, b'{"id":"x"}')[:15]
    'sha256=2382c1d0'
    """
    message = f"{timestamp}.".encode() + content
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is an answer like any other: not delivered


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, content: bytes, now: datetime.datetime) -> tuple[int | None, str]:
    """POST the signed ``content``; the answer's status (None when there was none) and an error
    ("" when delivered)."""
    timestamp = int(now.timestamp())
    request = urllib.request.Request(
        url,
        data=content,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Yanpiao-Timestamp": str(timestamp),
            "X-Yanpiao-Signature": signature(secret, timestamp, content),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, f"{type(error).__name__}: {reason}"[:300]
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}"


def backoff(attempts: int) -> datetime.timedelta:
    """How long after its ``attempts``-th failed attempt a delivery is tried again.

    >>> [int(backoff(n).total_seconds()) for n in range(1, 6)]
    [30, 60, 120, 240, 480]
    """
    return FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
