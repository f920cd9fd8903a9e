"""Filters of the verification history, read from query parameters and applied to what a viewer sees.

:meth:`HistoryFilter.parse` reads the parameters every channel takes (the API's query string,
the ``history`` command's options) and names each one at fault with its reason
(:class:`FilterError`); :meth:`HistoryFilter.apply` narrows
``access.visibility.verifications_visible_to(viewer)``, never anything wider.

- ``outcome`` — one outcome, or several separated by commas (``mismatch,not_found``);
- ``type`` — the invoice type code of the check (``01``, ``32`` …), several with commas;
- ``channel`` — ``web``, ``api``, ``cli``, ``qr``, ``upload`` or ``batch``, several with commas;
- ``from``, ``to`` — checked on or after / on or before: a date (``2026-03-01``, the whole day
  in the site's time zone) or a date and time with or without an offset (``2026-03-01T08:00``);
- ``seller_tax_id`` — the registered invoice's seller, compared by blind index
  (``Party.tax_id_index``), never in plaintext;
- ``min_total``, ``max_total`` — the registered invoice's 价税合计, inclusive.

**Disclosure rule.** The last three look at the *registered* invoice, so they only ever match
checks whose outcome revealed it (:data:`yanpiao.fapiao.compare.REVEALING`): otherwise filtering
one's own ``mismatch`` checks by seller or total would tell what the registry holds for an
invoice whose key fields one got wrong.

>>> HistoryFilter.parse({"outcome": "authentic,mismatch", "min_total": "10"}).outcomes
('authentic', 'mismatch')
>>> try:
...     HistoryFilter.parse({"outcome": "real", "min_total": "12.345"})
... except FilterError as error:
...     sorted(error.fields)
['min_total', 'outcome']
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from yanpiao.fapiao import uscc
from yanpiao.fapiao.compare import OUTCOMES, REVEALING
from yanpiao.fapiao.types import NAMES
from yanpiao.security.fields import tax_id_index
from yanpiao.verification.models import Channel, Verification

PARAMETERS = (
    "outcome", "type", "channel", "from", "to", "seller_tax_id", "min_total", "max_total",
)  # fmt: skip
MAX_LENGTH = 200  # of one parameter's text: more is not a filter anyone typed
TAX_ID = re.compile(r"[0-9A-Z]{15,20}")
OFFSET_AS_SPACE = re.compile(r"^(\S+[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
TOTAL_LIMIT = Decimal("1e14")  # the registry's totals have 16 digits, 2 of them decimals


class FilterError(ValueError):
    """Some parameters are not valid filters; ``fields`` names each with its reason."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in fields.items()))


@dataclass(frozen=True)
class HistoryFilter:
    """What a history reader asked for; empty tuples and None mean "any"."""

    outcomes: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    checked_from: datetime.datetime | None = None  # inclusive
    checked_before: datetime.datetime | None = None  # exclusive (the day after a date given as ``to``)
    seller_tax_id: str = ""  # normalised; only its blind index reaches the database
    min_total: Decimal | None = None
    max_total: Decimal | None = None

    @classmethod
    def parse(cls, params: Mapping[str, object]) -> HistoryFilter:
        """The filter the parameters name (absent or empty ones: any); :class:`FilterError` naming
        every parameter at fault.  Parameters it does not know are left to the caller."""
        text: dict[str, str] = {}
        errors: dict[str, str] = {}
        for name in PARAMETERS:
            value = params.get(name)
            value = "" if value is None else str(value).strip()
            if len(value) > MAX_LENGTH:
                errors[name] = f"过长。Too long: at most {MAX_LENGTH} characters."
            text[name] = value

        def choices(name: str, allowed, what: str) -> tuple[str, ...]:
            values = tuple(dict.fromkeys(v.strip() for v in text[name].split(",") if v.strip()))
            unknown = [v for v in values if v not in allowed]
            if unknown:
                errors[name] = f"{what} {unknown[0]!r}; one of {', '.join(allowed)}."
            return values

        outcomes = choices("outcome", OUTCOMES, "未知的查验结果。Unknown outcome")
        types = choices("type", tuple(NAMES), "未知的发票类型。Unknown invoice type")
        channels = choices("channel", tuple(Channel.values), "未知的渠道。Unknown channel")
        checked_from = _instant(text["from"], "from", errors)
        checked_before = _instant(text["to"], "to", errors, end_of_day=True)
        if checked_from and checked_before and checked_from >= checked_before:
            errors.setdefault("to", "须晚于 from。Must be after from.")
        seller = uscc.compact(text["seller_tax_id"])
        if seller and not TAX_ID.fullmatch(seller):
            errors["seller_tax_id"] = (
                "纳税人识别号应为 15–20 位字母或数字。A tax ID has 15 to 20 letters or digits."
            )
        min_total = _total(text["min_total"], "min_total", errors)
        max_total = _total(text["max_total"], "max_total", errors)
        if min_total is not None and max_total is not None and min_total > max_total:
            errors.setdefault("max_total", "不得小于 min_total。Must not be less than min_total.")
        if errors:
            raise FilterError({name: errors[name] for name in PARAMETERS if name in errors})
        return cls(outcomes, types, channels, checked_from, checked_before, seller, min_total, max_total)

    @property
    def looks_at_registry(self) -> bool:
        """Whether a filter reads the registered invoice (then only revealing outcomes match)."""
        return bool(self.seller_tax_id) or self.min_total is not None or self.max_total is not None

    def apply(self, verifications: QuerySet[Verification]) -> QuerySet[Verification]:
        """``verifications`` (what the viewer may see) narrowed to what the filter asks for."""
        if self.outcomes:
            verifications = verifications.filter(outcome__in=self.outcomes)
        if self.types:
            verifications = verifications.filter(invoice_type__in=self.types)
        if self.channels:
            verifications = verifications.filter(channel__in=self.channels)
        if self.checked_from is not None:
            verifications = verifications.filter(created_at__gte=self.checked_from)
        if self.checked_before is not None:
            verifications = verifications.filter(created_at__lt=self.checked_before)
        if self.looks_at_registry:
            # The disclosure rule: the registered invoice is only looked at where it was revealed.
            verifications = verifications.filter(outcome__in=sorted(REVEALING), invoice__isnull=False)
        if self.seller_tax_id:
            verifications = verifications.filter(
                invoice__seller__tax_id_index=tax_id_index(self.seller_tax_id)
            )
        if self.min_total is not None:
            verifications = verifications.filter(invoice__total__gte=self.min_total)
        if self.max_total is not None:
            verifications = verifications.filter(invoice__total__lte=self.max_total)
        return verifications

    def describe(self) -> dict[str, str]:
        """The filter as parameters again, without the seller's tax ID in clear (for the audit log)."""
        shown = {
            "outcome": ",".join(self.outcomes),
            "type": ",".join(self.types),
            "channel": ",".join(self.channels),
            "from": self.checked_from.isoformat() if self.checked_from else "",
            "to": self.checked_before.isoformat() if self.checked_before else "",
            "seller_tax_id_index": tax_id_index(self.seller_tax_id) if self.seller_tax_id else "",
            "min_total": "" if self.min_total is None else str(self.min_total),
            "max_total": "" if self.max_total is None else str(self.max_total),
        }
        return {name: value for name, value in shown.items() if value}


def _instant(text: str, name: str, errors: dict[str, str], end_of_day: bool = False):
    """A date (its whole day, in the site's time zone) or a date and time; ``to`` is made the
    exclusive end: the next day for a date, the next microsecond for a time."""
    if not text:
        return None
    # An offset's "+" arrives as a space when the client did not encode it: 08:00 08:00.
    text = OFFSET_AS_SPACE.sub(r"\1+\2", text)
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text.replace(" ", "T", 1))
    except ValueError:  # well-formed but impossible: 2026-02-30
        day = moment = None
    if day is not None:
        if not datetime.date(1900, 1, 1) <= day <= datetime.date(9998, 12, 31):
            errors[name] = "日期超出范围。Date out of range."
            return None
        if end_of_day:
            day += datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    if moment is None:
        errors[name] = (
            "应为日期或时间。Expected a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM[:SS][+08:00])."
        )
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment + datetime.timedelta(microseconds=1) if end_of_day else moment


def _total(text: str, name: str, errors: dict[str, str]) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if (
        value is None
        or not value.is_finite()
        or abs(value) >= TOTAL_LIMIT
        or value != value.quantize(Decimal("0.01"))
    ):
        errors[name] = "应为金额，最多两位小数。Expected an amount with at most two decimals (1234.50)."
        return None
    return value.quantize(Decimal("0.01"))
