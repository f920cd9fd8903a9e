"""A verification's risk assessment: the shapes every channel reports, and the entry points the
verification service calls (``assess`` for one check, ``assess_many`` for a batch chunk).

A reason never names another organisation or shows its data: it says what was seen ("presented
by another organisation"), not who.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from yanpiao.risk import codes


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
