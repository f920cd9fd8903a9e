"""The history in numbers, for the auditor dashboard: verifications per day by outcome.

Counted from what ``access.visibility.verifications_visible_to(viewer)`` lets the viewer see, in
one GROUP BY (day in the site's time zone, outcome), never row by row.  Days without any check
are there with zeros, so a chart's bars line up with the calendar.
"""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from yanpiao.access.visibility import verifications_visible_to
from yanpiao.fapiao.compare import OUTCOMES

DAYS = 30


def per_day(viewer, days: int = DAYS, today: datetime.date | None = None) -> dict:
    """The last ``days`` days up to ``today`` (the site's today by default):
    ``{"days": ["2026-06-01", …], "outcomes": {outcome: [count per day, …]}}``, only the outcomes
    seen in those days, in the order of :data:`~yanpiao.fapiao.compare.OUTCOMES`."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()), zone)
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time()), zone
    )
    rows = (
        verifications_visible_to(viewer)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    calendar = [first + datetime.timedelta(days=i) for i in range(days)]
    position = {day: i for i, day in enumerate(calendar)}
    counts: dict[str, list[int]] = {}
    for day, outcome, n in rows:
        if day in position:
            counts.setdefault(outcome, [0] * days)[position[day]] += n
    return {
        "days": [day.isoformat() for day in calendar],
        "outcomes": {outcome: counts[outcome] for outcome in OUTCOMES if outcome in counts},
    }
