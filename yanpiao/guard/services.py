"""Blocks of the request guard: made, lifted (by an operator, or when they run out), looked up.

A block is made once per subject at a time (:func:`block_address`, :func:`block_account`): in one
transaction with its audit entry (``guard.block``), then the security alert of its reason is
raised, once.  Lifting is audited too (``guard.unblock``), by the operator who lifted it or, for
a block that ran out, by nobody (``"by": "expiry"``).

Looking up is on every request, so the subjects blocked are cached in the process for
``YANPIAO_GUARD_CACHE_SECONDS`` (2): a request whose subject is not in the cache costs no query.
One that is, is confirmed in the database (a block lifted by the command line, or undone with
its transaction, lets the request through at once).  A block made in this process empties the
cache; one made in another process is seen within those seconds.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import logging
import threading
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.alerts import services as alerts
from yanpiao.alerts.models import Alert, Severity
from yanpiao.guard.models import Block
from yanpiao.security import audit, throttle
from yanpiao.security.fields import keyed_digest

logger = logging.getLogger(__name__)

Subject, Reason = Block.Subject, Block.Reason
ADDRESS_PURPOSE = "guard address"
# The alert each reason raises (a manual block raises none).
ALERT_KIND = {
    Reason.SCANNER: Alert.Kind.SCANNER,
    Reason.ENUMERATION: Alert.Kind.ENUMERATION,
    Reason.CREDENTIAL_STUFFING: Alert.Kind.CREDENTIAL_STUFFING,
    Reason.PAYLOAD_PROBE: Alert.Kind.PAYLOAD_PROBE,
}


class NotABlock(ValueError):
    """What was named is neither a block's id nor an address."""


# --- subjects --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """How an address is stored in a block: a keyed digest of it as it is counted (an IPv6 /64);
    remembered for the addresses seen last (every request asks)."""
    return keyed_digest(throttle.address_key(address).encode(), ADDRESS_PURPOSE)


def address_label(address: str) -> str:
    """An address for an operator's eyes, its last part masked: ``203.0.113.*``, ``2001:db8:*/64``.

    >>> address_label("203.0.113.7"), address_label("2001:db8:1:2::9")
    ('203.0.113.*', '2001:db8:*/64')
    """
    counted = throttle.address_key(address)
    if "/" in counted:
        groups = ipaddress.ip_network(counted).network_address.exploded.split(":")
        return f"{int(groups[0], 16):x}:{int(groups[1], 16):x}:*/64"
    if counted == "unknown":
        return counted
    return counted.rsplit(".", 1)[0] + ".*"


def minutes() -> int:
    return max(1, int(settings.YANPIAO_GUARD_BLOCK_MINUTES))


# --- the cache of what is blocked --------------------------------------------------------------

_lock = threading.Lock()
_cache: dict = {"loaded": None, "blocked": {}, "accounts": False}  # (subject, key) -> block id


def forget_cache() -> None:
    """Look again in the database at the next request (after a block is made or lifted here)."""
    with _lock:
        _cache["loaded"] = None


def _blocked_subjects() -> dict:
    ttl = float(getattr(settings, "YANPIAO_GUARD_CACHE_SECONDS", 2))
    with _lock:
        loaded, blocked = _cache["loaded"], _cache["blocked"]
    if loaded is not None and time.monotonic() - loaded < ttl:
        return blocked
    now = timezone.now()
    blocked, expired = {}, []
    for pk, subject, key, until in Block.objects.filter(lifted_at__isnull=True).values_list(
        "pk", "subject", "subject_key", "until"
    ):
        if until <= now:
            expired.append(pk)
        else:
            blocked[(subject, key)] = pk
    if expired:
        lift_expired(now, expired)
    accounts = any(subject == Subject.ACCOUNT for subject, _ in blocked)
    with _lock:
        _cache.update(loaded=time.monotonic(), blocked=blocked, accounts=accounts)
    return blocked


def any_account_blocked() -> bool:
    """Whether any account is blocked at all (from the cache: no query most of the time)."""
    _blocked_subjects()
    return _cache["accounts"]


def blocked(subject: str, key: str, now: datetime.datetime | None = None) -> Block | None:
    """The block in force on ``subject``/``key``, or None."""
    subjects = _blocked_subjects()
    if not subjects or (subject, key) not in subjects:
        return None
    found = Block.objects.filter(
        subject=subject, subject_key=key, lifted_at__isnull=True, until__gt=now or timezone.now()
    ).first()
    if found is None:  # lifted elsewhere, run out, or undone: look again next time
        forget_cache()
    return found


def address_blocked(address: str | None) -> Block | None:
    if not address or not _blocked_subjects():  # nothing blocked: not even the digest is needed
        return None
    return blocked(Subject.ADDRESS, address_key(address))


def account_blocked(account_id: int | None) -> Block | None:
    return blocked(Subject.ACCOUNT, str(account_id)) if account_id is not None else None


# --- blocking ----------------------------------------------------------------------------------


def block_address(
    address: str, reason: str, summary: str, actor=None, now: datetime.datetime | None = None
) -> tuple[Block, bool]:
    """Block ``address`` (its /64 for IPv6) for ``YANPIAO_GUARD_BLOCK_MINUTES``; ``(block, made)``
    (``made`` False: it was blocked already, and that block is returned)."""
    made = _block(Subject.ADDRESS, address_key(address), address_label(address), reason, actor, now)
    if made[1]:
        _alert(made[0], alerts.Subject.ADDRESS, alerts.address_key(address), summary)
    return made


def block_account(
    account_id: int, reason: str, summary: str, actor=None, now: datetime.datetime | None = None
) -> tuple[Block, bool]:
    """Block the account ``account_id``; ``(block, made)`` as :func:`block_address`."""
    made = _block(Subject.ACCOUNT, str(account_id), f"#{account_id}", reason, actor, now)
    if made[1]:
        _alert(made[0], alerts.Subject.ACCOUNT, str(account_id), summary)
    return made


def _block(subject, key, label, reason, actor, now) -> tuple[Block, bool]:
    if reason not in Reason.values:
        raise ValueError(f"not a reason to block: {reason!r}")
    now = now or timezone.now()
    with dbapi.serialized_writes(), transaction.atomic():
        existing = Block.objects.filter(
            subject=subject, subject_key=key, lifted_at__isnull=True, until__gt=now
        ).first()
        if existing is not None:
            return existing, False
        block = Block.objects.create(
            subject=subject,
            subject_key=key,
            label=label,
            reason=reason,
            created_at=now,
            until=now + datetime.timedelta(minutes=minutes()),
        )
        audit.record(
            audit.Action.GUARD_BLOCK,
            actor,
            audit.target(block),
            {"subject": subject, "reason": reason, "until": block.until.isoformat(timespec="seconds")},
        )
    forget_cache()
    logger.warning("guard: blocked %s %s (%s) until %s", subject, label, reason, block.until)
    return block, True


def _alert(block: Block, subject: str, subject_key: str, summary: str) -> None:
    """The security alert of the block's reason, raised once per block (a failure is logged: the
    block stands)."""
    kind = ALERT_KIND.get(block.reason)
    if kind is None:
        return
    try:
        alerts.raise_alert(kind, Severity.HIGH, subject, subject_key, summary, [f"guard.block:{block.pk}"])
    except Exception:
        logger.exception("guard: the alert of block %s could not be raised", block.pk)


# --- lifting -----------------------------------------------------------------------------------


def unblock(block: Block, actor=None, now: datetime.datetime | None = None) -> bool:
    """Lift ``block`` by an operator (``actor``: a user, or None at the console); False when it
    was lifted already."""
    return _lift([block.pk], actor, "operator", now) == 1


def lift_expired(now: datetime.datetime | None = None, ids=None) -> int:
    """Lift (and audit) the blocks that ran out; how many."""
    now = now or timezone.now()
    if ids is None:
        ids = list(Block.objects.filter(lifted_at__isnull=True, until__lte=now).values_list("pk", flat=True))
    return _lift(ids, None, "expiry", now)


def _lift(ids, actor, by: str, now) -> int:
    now = now or timezone.now()
    lifted = 0
    for pk in ids:
        with dbapi.serialized_writes(), transaction.atomic():
            changed = Block.objects.filter(pk=pk, lifted_at__isnull=True).update(
                lifted_at=now, lifted_by=actor if getattr(actor, "pk", None) else None
            )
            if changed:
                audit.record(audit.Action.GUARD_UNBLOCK, actor, audit.target(Block, pk), {"by": by})
                lifted += 1
    if lifted:
        forget_cache()
    return lifted


# --- listing -----------------------------------------------------------------------------------


def active_blocks(now: datetime.datetime | None = None):
    """The blocks in force, newest first (those that ran out are lifted first)."""
    now = now or timezone.now()
    lift_expired(now)
    return Block.objects.filter(lifted_at__isnull=True, until__gt=now).order_by("-created_at", "-pk")


def find(named: str, now: datetime.datetime | None = None) -> list[Block]:
    """The blocks in force that ``named`` means: a block's id, or an address (its /64 for IPv6)."""
    named = named.strip()
    now = now or timezone.now()
    if named.isdigit():
        return list(Block.objects.filter(pk=int(named), lifted_at__isnull=True, until__gt=now))
    try:
        address = str(ipaddress.ip_address(named))
    except ValueError:
        raise NotABlock(f"{named!r} is neither a block id nor an IP address") from None
    return list(active_blocks(now).filter(subject=Subject.ADDRESS, subject_key=address_key(address)))
