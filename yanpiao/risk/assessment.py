"""A verification's risk assessment: the shapes every channel reports, and the entry points the
verification service calls (``assess`` for one check, ``assess_many`` for a batch chunk).

A reason never names another organisation or shows its data: it says what was seen ("presented
by another organisation"), not who.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.utils import timezone

from yanpiao import dbapi
from yanpiao.fapiao import compare as comparison
from yanpiao.registry.columns import amount
from yanpiao.risk import codes, signals
from yanpiao.risk import settings as risk_settings
from yanpiao.risk.models import InvoiceMark, InvoiceScore, Presentation, SellerProfile
from yanpiao.security import throttle
from yanpiao.security.models import ThrottleWindow


@dataclass(frozen=True)
class Event:
    """One verification as the rules see it, made by the verification service before it records
    the check (``invoice_id``: the registered invoice found, whatever the outcome; None when none
    was found or the check never looked)."""

    actor_id: int | None
    organisation_index: str  # the verifier's organisation's tax-ID blind index, "" when none
    client: str | None  # the address the check came from, None from the CLI or a batch
    channel: str
    outcome: str
    code: str
    number: str
    invoice_id: int | None
    at: datetime.datetime


@dataclass(frozen=True)
class Reason:
    code: str  # one of codes.CODES
    message: str  # plain words, English; the web shows the code's label in the reader's language
    score: int  # what this reason alone weighs, 0–100

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Assessment:
    score: int
    reasons: tuple[Reason, ...] = ()

    @property
    def level(self) -> str:
        return codes.level(self.score)

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "reasons": [r.to_json() for r in self.reasons]}


NONE = Assessment(0)


def combine(reasons: list[Reason]) -> Assessment:
    """The assessment of a check with these reasons: the strongest reason's score, raised a little
    by each further one (never past 100), reasons strongest first.

    >>> combine([]).to_json()
    {'score': 0, 'level': 'low', 'reasons': []}
    >>> combine([Reason("amount_outlier", "…", 50), Reason("seller_abnormal", "…", 60)]).score
    65
    """
    if not reasons:
        return NONE
    ordered = sorted(reasons, key=lambda r: -r.score)
    score = min(100, ordered[0].score + 5 * (len(ordered) - 1))
    return Assessment(score, tuple(ordered))


def stored(score: int, reasons: list[dict]) -> Assessment:
    """The assessment of a check as the history keeps it (its score, and its reasons' codes and
    messages; what each reason weighed alone is not kept).

    >>> stored(75, [{"code": "forgery_probing", "message": "…"}]).to_json()["level"]
    'high'
    """
    return Assessment(score, tuple(Reason(r["code"], r["message"], 0) for r in reasons))


# --- assessing checks ------------------------------------------------------------------------
# The rules (yanpiao.risk.rules) import the shapes above: they are imported where they are used.


def assess(event: Event, facts: Sequence | None = None) -> Assessment:
    """The assessment of one check, called by the verification service inside its write
    transaction: it records what the rules remember (the presentation, the window's count) and
    applies the rules.  Two statements at most: one read of the invoice's facts and one upsert of
    its presentation (an outcome that reveals the invoice), or one count of a window (mismatch,
    not_found).  :data:`NONE`, touching nothing, when ``YANPIAO_RISK_ENABLED`` is off.

    ``facts`` are the invoice's facts as read with it (:func:`facts_with_invoice`), when they were:
    then only the counts are read, and nothing for a check without presenter or watcher."""
    from yanpiao.risk import rules  # it imports the shapes above

    if not risk_settings.enabled():
        return NONE
    known = rules.NO_FACTS
    watcher = signals.who(event.actor_id, event.client)
    if event.invoice_id is not None and event.outcome in comparison.REVEALING:
        presenter = signals.presenter(event.actor_id, event.organisation_index)
        if event.outcome not in rules.PRESENTING:
            presenter = None
        probing = (watcher, event.code, event.number) if watcher else None
        if facts is None:
            known = read_facts(event.invoice_id, presenter, probing, event.at)
        else:
            others, mismatches = read_counts(event.invoice_id, presenter, probing, event.at)
            known = _facts(facts, other_presenters=others, mismatches=mismatches)
        if presenter:
            signals.present(event.invoice_id, presenter, event.at)
    elif event.outcome == comparison.MISMATCH and watcher:
        known = rules.Facts(mismatches=signals.count_mismatch(watcher, event.code, event.number, event.at))
    elif event.outcome == comparison.NOT_FOUND and watcher:
        known = rules.Facts(not_found=signals.count_not_found(watcher, event.at))
    return combine(rules.reasons(event, known))


def assess_many(events: Sequence[Event]) -> list[Assessment]:
    """:func:`assess` of each event in turn, set-wise (a batch chunk): the same assessments, with
    the facts of every invoice read in a query per 500, the presenters in another, the
    presentations written in one upsert per 500 and one count per distinct window key."""
    from yanpiao.risk import rules  # it imports the shapes above

    if not risk_settings.enabled() or not events:
        return [NONE] * len(events)
    watchers = [signals.who(e.actor_id, e.client) for e in events]
    shown = [e.invoice_id is not None and e.outcome in comparison.REVEALING for e in events]
    presenters = [
        signals.presenter(e.actor_id, e.organisation_index)
        if seen and e.outcome in rules.PRESENTING
        else None
        for e, seen in zip(events, shown, strict=True)
    ]
    read = read_many_facts({e.invoice_id for e, seen in zip(events, shown, strict=True) if seen})
    presented = signals.presenters_of(e.invoice_id for e, p in zip(events, presenters, strict=True) if p)
    mismatches = _Windows(
        signals.mismatch_limit(),
        [
            ((w, e.code, e.number), e.at, e.outcome == comparison.MISMATCH)
            for e, w, seen in zip(events, watchers, shown, strict=True)
            if w and (seen or e.outcome == comparison.MISMATCH)
        ],
    )
    not_found = _Windows(
        signals.not_found_limit(),
        [
            ((w,), e.at, True)
            for e, w in zip(events, watchers, strict=True)
            if w and e.outcome == comparison.NOT_FOUND
        ],
    )
    assessments, presentations = [], []
    for e, watcher, seen, presenter in zip(events, watchers, shown, presenters, strict=True):
        known = rules.NO_FACTS
        if seen:
            others = 0
            if presenter:
                digest = signals.presenter_digest(presenter)
                before = presented.setdefault(e.invoice_id, set())
                others = len(before - {digest})
                before.add(digest)
                presentations.append((e.invoice_id, presenter, e.at))
            known = replace(
                read.get(e.invoice_id, rules.NO_FACTS),
                other_presenters=others,
                mismatches=mismatches.next((watcher, e.code, e.number), e.at, False) if watcher else 0,
            )
        elif e.outcome == comparison.MISMATCH and watcher:
            known = rules.Facts(mismatches=mismatches.next((watcher, e.code, e.number), e.at, True))
        elif e.outcome == comparison.NOT_FOUND and watcher:
            known = rules.Facts(not_found=not_found.next((watcher,), e.at, True))
        assessments.append(combine(rules.reasons(e, known)))
    signals.present_many(presentations)
    return assessments


class _Windows:
    """The counts of one kind of window as a batch's events pass: counted set-wise first (what
    each key held before the batch), then followed event by event (:meth:`next`)."""

    def __init__(self, limit, events: list[tuple[tuple, datetime.datetime, bool]]):
        self.limit, self.start = limit, lambda at: throttle.window_start(limit.window, at)
        counted: dict[datetime.datetime, Counter] = {}
        watched: dict[datetime.datetime, set] = {}
        for parts, at, counts in events:
            start = self.start(at)
            counted.setdefault(start, Counter())
            watched.setdefault(start, set()).add(parts)
            if counts:
                counted[start][parts] += 1
        self.before: dict[tuple, int] = {}
        self.so_far: Counter = Counter()
        for start in sorted(watched):  # window by window, as the events would have counted them
            only_read = watched[start] - set(counted[start])
            if only_read:
                for parts, count in signals.window_counts(limit, only_read, start).items():
                    self.before[parts, start] = count
            for parts, count in signals.count_many(limit, counted[start], start).items():
                self.before[parts, start] = count

    def next(self, parts: tuple, at: datetime.datetime, counts: bool) -> int:
        """The count an event sees in its window: what was there before the batch, the batch's
        events so far and this one if it ``counts``."""
        key = (parts, self.start(at))
        if counts:
            self.so_far[key] += 1
        return self.before.get(key, 0) + self.so_far[key]


# --- the facts of registered invoices ----------------------------------------------------------


def _fact_columns() -> str:
    """The columns of an invoice's facts, of the invoice ``i`` and the joins of :func:`_fact_joins`."""
    marks = InvoiceMark._meta.db_table
    return (
        "i.id, i.status, i.seller_id, i.total, i.type, i.issue_date,"
        " rp.invoices, rp.amount_log_mean, rp.amount_log_std, rp.daily_mean, rp.busiest_day_ratio,"
        " rp.near_limit_share, rp.abnormal_invoices, rs.score, rs.top_features, "
        + ", ".join(
            f"(SELECT rm.count FROM {marks} rm WHERE rm.invoice_id = i.id AND rm.kind = '{kind}')"  # nosec B608  # table names from _meta and kinds from MARK_KINDS; values are parameters
            for kind in MARK_KINDS
        )
    )


def _fact_joins() -> str:
    return (
        f" LEFT JOIN {SellerProfile._meta.db_table} rp ON rp.seller_id = i.seller_id"
        f" LEFT JOIN {InvoiceScore._meta.db_table} rs ON rs.invoice_id = i.id"
    )


def _facts_sql(where: str, extra: str = "") -> str:
    return f"SELECT {_fact_columns()}{extra} FROM registry_invoice i{_fact_joins()} WHERE {where}"  # nosec B608  # table names from _meta and kinds from MARK_KINDS; values are parameters


@functools.cache
def _facts_with_invoice() -> tuple[str, str]:
    return _fact_columns(), _fact_joins()


def facts_with_invoice() -> tuple[str, str]:
    """The columns and joins that read an invoice's facts (without the counts) in the statement that
    looks the invoice ``i`` up (``registry.lookup.find(key, also=...)``): the verification service
    reads them with the invoice and hands them to :func:`assess` (``facts=``), which then reads
    only the counts, and only for a check that has them (a presenter, a watcher).  Nothing when
    checks are not assessed."""
    return _facts_with_invoice() if risk_settings.enabled() else ("", "")


MARK_KINDS = (codes.FORGED_CERTIFICATE, codes.REPORTED_BY_USER)  # InvoiceMark.Kind, in the columns' order
FACT_COLUMNS = 15 + len(MARK_KINDS)


def read_facts(
    invoice_id: int,
    presenter: str | None = None,
    probing: tuple | None = None,
    at: datetime.datetime | None = None,
):
    """The facts of one registered invoice (:class:`yanpiao.risk.rules.Facts`) in one query: its
    fields, its seller's profile, its model score, its marks; with the number of its presenters
    other than ``presenter`` (a label of ``signals.presenter``), and the mismatches counted of
    ``probing`` (``(watcher, code, number)``) in the window of ``at``."""
    from yanpiao.risk import rules  # it imports the shapes above

    at = at or timezone.now()
    window_key, window_start = (
        signals.window_key(signals.mismatch_limit(), probing, at) if probing else (None, None)
    )
    cursor = dbapi.cursor()
    try:
        cursor.execute(
            _one_facts_sql(connection.vendor),
            [
                signals.presenter_digest(presenter) if presenter else None,
                window_key,
                window_start,
                invoice_id,
            ],
        )
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return rules.NO_FACTS
    return _facts(row, other_presenters=row[FACT_COLUMNS] or 0, mismatches=row[FACT_COLUMNS + 1] or 0)


@functools.cache
def _one_facts_sql(vendor: str) -> str:
    """The statement of :func:`read_facts` in the driver's placeholder style (built once)."""
    return dbapi.sql(
        _facts_sql(
            "i.id = %s",
            f", (SELECT COUNT(*) FROM {Presentation._meta.db_table} r"  # nosec B608  # table names from _meta and kinds from MARK_KINDS; values are parameters
            f" WHERE r.invoice_id = i.id AND r.presenter <> %s)"
            f", (SELECT t.count FROM {ThrottleWindow._meta.db_table} t WHERE t.key = %s AND t.started_at = %s)",
        )
    )


_COUNTS_SQL = (
    f"SELECT (SELECT COUNT(*) FROM {Presentation._meta.db_table} r"  # nosec B608  # table names from _meta; values are parameters
    " WHERE r.invoice_id = %s AND r.presenter <> %s),"
    f" (SELECT t.count FROM {ThrottleWindow._meta.db_table} t WHERE t.key = %s AND t.started_at = %s)"
)


def read_counts(
    invoice_id: int, presenter: str | None, probing: tuple | None, at: datetime.datetime
) -> tuple[int, int]:
    """What :func:`read_facts` counts besides the facts: the invoice's presenters other than
    ``presenter`` and the mismatches of ``probing`` in the window of ``at``; (0, 0) without asking
    when there is neither."""
    if not presenter and not probing:
        return 0, 0
    window_key, window_start = (
        signals.window_key(signals.mismatch_limit(), probing, at) if probing else (None, None)
    )
    cursor = dbapi.cursor()
    try:
        cursor.execute(
            dbapi.sql(_COUNTS_SQL),
            [
                invoice_id,
                signals.presenter_digest(presenter) if presenter else None,
                window_key,
                window_start,
            ],
        )
        others, mismatches = cursor.fetchone()
    finally:
        cursor.close()
    return others or 0, mismatches or 0


def read_many_facts(invoice_ids) -> dict:
    """:func:`read_facts` of many invoices by id (without the counts), a query per 500 ids."""
    ids = sorted(invoice_ids)
    found = {}
    cursor = dbapi.cursor()
    try:
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            cursor.execute(dbapi.sql(_facts_sql(f"i.id IN ({', '.join(['%s'] * len(chunk))})")), chunk)
            for row in cursor.fetchall():
                found[row[0]] = _facts(row)
    finally:
        cursor.close()
    return found


def _facts(row, **counts):
    from yanpiao.risk import rules  # it imports the shapes above

    (_, status, seller_id, total, type_, issue_date, invoices, log_mean, log_std, daily_mean, busiest,
     near_share, abnormal, score, top, *marks) = row[:FACT_COLUMNS]  # fmt: skip
    profile = None
    if invoices is not None:
        profile = SellerProfile(
            seller_id=seller_id,
            invoices=invoices,
            amount_log_mean=log_mean,
            amount_log_std=log_std,
            daily_mean=daily_mean,
            busiest_day_ratio=busiest,
            near_limit_share=near_share,
            abnormal_invoices=abnormal,
        )
    if isinstance(top, str):  # SQLite hands JSON back as text, PostgreSQL decoded
        top = json.loads(top)
    return rules.Facts(
        status=status,
        seller_id=seller_id,
        total=amount(total),
        type=type_,
        issue_date=datetime.date.fromisoformat(issue_date) if isinstance(issue_date, str) else issue_date,
        profile=profile,
        marks={kind: count for kind, count in zip(MARK_KINDS, marks, strict=True) if count},
        score=score,
        top_features=tuple(top or ()),
        **counts,
    )
