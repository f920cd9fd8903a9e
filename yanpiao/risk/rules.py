"""The risk rules: each a small function named by its code (:mod:`yanpiao.risk.codes`), taking
the check (:class:`~yanpiao.risk.assessment.Event`) and what was read for it (:class:`Facts`),
returning a :class:`~yanpiao.risk.assessment.Reason` or None.  Their thresholds and weights are
settings (:mod:`yanpiao.risk.settings`); docs/risk.md says what each looks at.

A rule never reveals another verifier (only that there is one) and never speaks of a
registered invoice to a check that is not shown it: the invoice's facts are read only for an
outcome that reveals the invoice (``fapiao.compare.REVEALING``).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from yanpiao.fapiao import compare as comparison
from yanpiao.risk import codes
from yanpiao.risk import settings as risk_settings
from yanpiao.risk.assessment import Event, Reason
from yanpiao.risk.models import SellerProfile

INVALID_STATUSES = {
    comparison.VOIDED: "voided",
    comparison.RED_FLUSHED: "red-flushed",
    comparison.ABNORMAL: "flagged abnormal by the tax authority",
}
PRESENTING = frozenset({comparison.AUTHENTIC, *INVALID_STATUSES})  # outcomes where the invoice is presented


@dataclass(frozen=True)
class Facts:
    """What was read for one check in one go.  The invoice's fields (``status`` … ``issue_date``),
    the seller's ``profile``, the ``marks`` (kind → count) and the model's ``score`` are filled only
    for an outcome that reveals the invoice; the counts are those of the window of the check,
    this one included."""

    status: str | None = None
    seller_id: int | None = None
    total: Decimal | None = None
    type: str = ""
    issue_date: datetime.date | None = None
    profile: SellerProfile | None = None
    marks: Mapping[str, int] = field(default_factory=dict)
    score: int | None = None  # the model's InvoiceScore, when there is one
    top_features: tuple[str, ...] = ()
    other_presenters: int = 0  # distinct presenters of the invoice besides this check's
    mismatches: int = 0  # mismatches of this key by this account or address in the window
    not_found: int = 0  # not_found by this account or address in the window


NO_FACTS = Facts()


def _reason(code: str, message: str) -> Reason:
    return Reason(code, message, risk_settings.current().weights[code])


def duplicate_reimbursement(event: Event, facts: Facts) -> Reason | None:
    """The invoice was presented by another organisation (or another account outside any)."""
    if event.outcome not in PRESENTING or facts.other_presenters < 1:
        return None
    return _reason(
        codes.DUPLICATE_REIMBURSEMENT,
        "this invoice has also been presented by another organisation or account: it may be claimed twice",
    )


def invalid_status_presented(event: Event, facts: Facts) -> Reason | None:
    """A voided, red-flushed or abnormal invoice was presented."""
    status = INVALID_STATUSES.get(event.outcome)
    return _reason(codes.INVALID_STATUS_PRESENTED, f"a {status} invoice was presented") if status else None


def forgery_probing(event: Event, facts: Facts) -> Reason | None:
    """Many mismatches of one invoice key from one account or address in the window (on the
    mismatches themselves, and on the check that finally matches)."""
    thresholds = risk_settings.current()
    if facts.mismatches < thresholds.probing_mismatches:
        return None
    minutes = int(thresholds.probing_window.total_seconds() // 60)
    return _reason(
        codes.FORGERY_PROBING,
        f"{facts.mismatches} checks of this invoice's code and number with a differing key field "
        f"within {minutes} minutes",
    )


def enumeration(event: Event, facts: Facts) -> Reason | None:
    """Many checks of unregistered invoices from one account or address in the window."""
    thresholds = risk_settings.current()
    if event.outcome != comparison.NOT_FOUND or facts.not_found < thresholds.enumeration_not_found:
        return None
    minutes = int(thresholds.enumeration_window.total_seconds() // 60)
    return _reason(
        codes.ENUMERATION, f"{facts.not_found} checks of unregistered invoices within {minutes} minutes"
    )


def amount_outlier(event: Event, facts: Facts) -> Reason | None:
    """The total is far from the seller's usual amounts (in log terms)."""
    thresholds, profile = risk_settings.current(), facts.profile
    if profile is None or facts.total is None or facts.total <= 0:
        return None
    if profile.invoices < thresholds.outlier_min_invoices:
        return None
    spread = max(profile.amount_log_std, thresholds.outlier_std_floor)
    if abs(math.log(facts.total) - profile.amount_log_mean) / spread < thresholds.outlier_deviations:
        return None
    return _reason(codes.AMOUNT_OUTLIER, "the amount is far from this seller's usual amounts")


def issuance_burst(event: Event, facts: Facts) -> Reason | None:
    """The seller's busiest day of the last week is far above its daily rate."""
    thresholds, profile = risk_settings.current(), facts.profile
    if profile is None or profile.daily_mean < thresholds.burst_daily_mean:
        return None
    if profile.busiest_day_ratio < thresholds.burst_ratio:
        return None
    return _reason(
        codes.ISSUANCE_BURST,
        f"the seller issued {profile.busiest_day_ratio:.0f} times its usual number of invoices on one day "
        "of the last week",
    )


def near_limit(total: Decimal, limits: tuple[Decimal, ...], margin: Decimal) -> Decimal | None:
    """The issuance limit ``total`` is just under (within ``margin`` of it, below), if any.

    >>> near_limit(Decimal("9800"), (Decimal(10000),), Decimal("0.03"))
    Decimal('10000')
    >>> near_limit(Decimal("9600"), (Decimal(10000),), Decimal("0.03")) is None
    True
    """
    return next((limit for limit in limits if limit * (1 - margin) <= total < limit), None)


def near_limit_amounts(event: Event, facts: Facts) -> Reason | None:
    """This total is just under an issuance limit, as many of the seller's are."""
    thresholds, profile = risk_settings.current(), facts.profile
    if profile is None or facts.total is None or profile.invoices < thresholds.near_limit_min_invoices:
        return None
    if profile.near_limit_share < thresholds.near_limit_share:
        return None
    limit = near_limit(facts.total, thresholds.issuance_limits, thresholds.near_limit_margin)
    if limit is None:
        return None
    return _reason(
        codes.NEAR_LIMIT_AMOUNTS,
        f"the amount is just under an issuance limit of {limit:,.0f} yuan, as {profile.near_limit_share:.0%} "
        "of this seller's invoices are",
    )


def seller_abnormal(event: Event, facts: Facts) -> Reason | None:
    """The seller has invoices flagged abnormal (not said again of an abnormal invoice itself:
    invalid_status_presented says it)."""
    if facts.profile is None or facts.profile.abnormal_invoices < 1 or facts.status == comparison.ABNORMAL:
        return None
    return _reason(codes.SELLER_ABNORMAL, "the seller has invoices flagged abnormal by the tax authority")


def forged_certificate(event: Event, facts: Facts) -> Reason | None:
    """A forged verification certificate of this invoice was seen."""
    if not facts.marks.get(codes.FORGED_CERTIFICATE):
        return None
    return _reason(codes.FORGED_CERTIFICATE, "a forged verification certificate of this invoice was seen")


def reported_by_user(event: Event, facts: Facts) -> Reason | None:
    """The invoice was reported as suspicious from a result page."""
    reports = facts.marks.get(codes.REPORTED_BY_USER)
    if not reports:
        return None
    times = "once" if reports == 1 else f"{reports} times"
    return _reason(codes.REPORTED_BY_USER, f"this invoice was reported as suspicious {times}")


def model(event: Event, facts: Facts) -> Reason | None:
    """The learned model's score of the invoice, from the threshold on, with its top features."""
    if facts.score is None or facts.score < risk_settings.current().model_threshold:
        return None
    from yanpiao.risk.features import WORDS  # the model's own (numpy): only when its reason is given

    words = list(dict.fromkeys(WORDS.get(name, name.replace("_", " ")) for name in facts.top_features))
    because = f": {', '.join(words)}" if words else ""
    return Reason(codes.MODEL, f"the model finds this invoice unusual{because}", min(100, facts.score))


RULES: tuple[Callable[[Event, Facts], Reason | None], ...] = (
    duplicate_reimbursement,
    invalid_status_presented,
    forgery_probing,
    enumeration,
    amount_outlier,
    issuance_burst,
    near_limit_amounts,
    seller_abnormal,
    forged_certificate,
    reported_by_user,
    model,
)
assert tuple(rule.__name__ for rule in RULES) == codes.CODES


def reasons(event: Event, facts: Facts) -> list[Reason]:
    """Every reason the rules and the model find for this check."""
    return [reason for rule in RULES if (reason := rule(event, facts)) is not None]
