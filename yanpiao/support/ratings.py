"""The staff's view of ratings: averages and weekly trends per aspect and per channel.

Two kinds of rating are summed up together, 1–5 per aspect (:data:`yanpiao.feedback.models.ASPECTS`):
a verifier's rating of a result (its channel is the verification's: web, api, qr …) and an
owner's rating of a closed ticket (channel ``ticket``).  Only staff may see them
(:func:`summary` raises :class:`~yanpiao.access.visibility.NotVisible` to anyone else); the
comments are not part of it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone

from yanpiao.access import visibility
from yanpiao.feedback.models import ASPECTS, Rating
from yanpiao.support.models import TicketRating

TICKET = "ticket"  # the channel of a ticket's rating
WEEKS = 12  # the trend covers this many weeks, the current one last


def summary(user, now: datetime.datetime | None = None, weeks: int = WEEKS) -> dict:
    """``{"aspects": {aspect: {"average", "count"}}, "channels": {channel: {"count", "aspects":
    {aspect: average}}}, "weeks": [monday ISO …], "trend": {aspect: [average or None per week]},
    "count": ratings}``; averages rounded to two places, ``None`` where nothing was rated."""
    if not visibility.is_staff(user):
        raise visibility.NotVisible("no such page")
    now = timezone.localtime(now or timezone.now())
    first_monday = (now - datetime.timedelta(days=now.weekday() + 7 * (weeks - 1))).date()
    mondays = [first_monday + datetime.timedelta(weeks=n) for n in range(weeks)]
    overall = {aspect: [] for aspect in ASPECTS}
    per_channel: dict[str, dict[str, list[int]]] = defaultdict(lambda: {aspect: [] for aspect in ASPECTS})
    channel_counts: dict[str, int] = defaultdict(int)
    per_week = {aspect: defaultdict(list) for aspect in ASPECTS}
    count = 0
    for channel, created_at, scores in _rows():
        count += 1
        channel_counts[channel] += 1
        day = timezone.localtime(created_at).date()
        monday = day - datetime.timedelta(days=day.weekday())
        for aspect, score in scores.items():
            if score is None:
                continue
            overall[aspect].append(score)
            per_channel[channel][aspect].append(score)
            if monday >= first_monday:
                per_week[aspect][monday].append(score)
    return {
        "count": count,
        "aspects": {aspect: {"average": _mean(v), "count": len(v)} for aspect, v in overall.items()},
        "channels": {
            channel: {
                "count": channel_counts[channel],
                "aspects": {aspect: _mean(v) for aspect, v in per_channel[channel].items()},
            }
            for channel in sorted(channel_counts)
        },
        "weeks": [monday.isoformat() for monday in mondays],
        "trend": {aspect: [_mean(per_week[aspect].get(m, [])) for m in mondays] for aspect in ASPECTS},
    }


def _rows():
    """``(channel, created_at, {aspect: score})`` of every rating, result and ticket alike."""
    fields = ["created_at", *ASPECTS]
    for row in Rating.objects.values("verification__channel", *fields).iterator():
        yield row["verification__channel"], row["created_at"], {a: row[a] for a in ASPECTS}
    for row in TicketRating.objects.values(*fields).iterator():
        yield TICKET, row["created_at"], {a: row[a] for a in ASPECTS}


def _mean(scores: list[int]) -> float | None:
    return round(sum(scores) / len(scores), 2) if scores else None
