"""How often one may verify: the national platform's rule, applied in the service for every channel.

- One invoice at most ``YANPIAO_CHECKS_PER_INVOICE_PER_DAY`` (5) times a calendar day per
  account, or per client address when nobody is signed in.  Without it, a mismatch that names
  the differing field turns the form into an oracle: an issue date is found in a few dozen tries.
- Anonymous use at most ``YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE`` and
  ``YANPIAO_ANONYMOUS_CHECKS_PER_DAY`` checks of any invoices per client address.

A check that gives neither an account nor an address (the operator's command line) is not
counted.  A refused check is not recorded in the history: it never reached the registry.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.invoice import normalize_text
from yanpiao.security import throttle

MINUTE, DAY = datetime.timedelta(minutes=1), datetime.timedelta(days=1)


class TooManyChecks(Exception):
    """The limit is reached: try again at ``retry_at`` (``retry_after`` seconds from now)."""

    def __init__(self, exceeded: throttle.Exceeded, message: str):
        super().__init__(message)
        self.message = message
        self.retry_at = exceeded.retry_at
        self.retry_after = exceeded.retry_after

    def __str__(self):
        return self.message


def who(actor, client: str | None) -> str | None:
    """What a check is counted against: the account, else the client address; None for neither."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return f"account:{actor.pk}"
    if client:
        return f"address:{throttle.address_key(client)}"
    return None


def _refused(exceeded: throttle.Exceeded, what: str) -> TooManyChecks:
    when = timezone.localtime(exceeded.retry_at).strftime("%Y-%m-%d %H:%M")
    return TooManyChecks(exceeded, f"{what}，请于 {when} 后再试。Too many checks; try again after {when}.")


def count_check(actor, client: str | None, now: datetime.datetime | None = None) -> None:
    """Count one check by this account or address against the anonymous limits."""
    counted = who(actor, client)
    if counted is None or counted.startswith("account:"):
        return
    for limit in (
        throttle.Limit("verification.address.minute", settings.YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE, MINUTE),
        throttle.Limit("verification.address.day", settings.YANPIAO_ANONYMOUS_CHECKS_PER_DAY, DAY),
    ):
        try:
            throttle.hit(limit, counted, now=now)
        except throttle.Exceeded as exceeded:
            raise _refused(exceeded, "查验过于频繁") from None


def invoice_limit() -> throttle.Limit:
    """Checks of one invoice per calendar day, per account or address (``verification.invoice``)."""
    return throttle.Limit("verification.invoice", settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY, DAY)


def count_invoice_check(
    query: Query, actor, client: str | None, now: datetime.datetime | None = None
) -> None:
    """Count one check of the invoice ``query`` names against its daily limit."""
    counted = who(actor, client)
    if counted is None:
        return
    limit = invoice_limit()
    try:
        throttle.hit(limit, counted, normalize_text(query.code), normalize_text(query.number), now=now)
    except throttle.Exceeded as exceeded:
        raise _refused(exceeded, f"同一张发票每天最多查验 {limit.count} 次") from None
