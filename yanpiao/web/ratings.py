"""The staff's ratings dashboard: averages per aspect and per channel, and the weekly trend.

A thin adapter over :mod:`yanpiao.support.ratings` (staff only: 404 to anyone else).  The trend
chart is drawn by ``web/support-charts.js`` from a JSON script tag; the tables carry the same
numbers, for screen readers and without JavaScript.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yanpiao.feedback.models import ASPECTS
from yanpiao.support import ratings
from yanpiao.verification.models import Channel

TICKET_LABEL = _("工单")


def channel_label(channel: str) -> str:
    """A channel in the reader's words: a verification's channel, or a ticket."""
    if channel == ratings.TICKET:
        return str(TICKET_LABEL)
    return str(dict(Channel.choices).get(channel, channel))


@never_cache
@login_required
@require_safe
def dashboard(request):
    found = ratings.summary(request.user)
    aspect_labels = {name: str(label) for name, label in ASPECTS.items()}
    chart = {
        "labels": [week[5:] for week in found["weeks"]],
        "datasets": [
            {"key": name, "label": aspect_labels[name], "data": found["trend"][name]} for name in ASPECTS
        ],
    }
    context = {
        "found": found,
        "aspects": [(name, aspect_labels[name], found["aspects"][name]) for name in ASPECTS],
        "aspect_names": list(aspect_labels.values()),
        "channels": [
            (channel, channel_label(channel), row["count"], [row["aspects"][name] for name in ASPECTS])
            for channel, row in found["channels"].items()
        ],
        "weeks": [
            (week, [found["trend"][name][i] for name in ASPECTS]) for i, week in enumerate(found["weeks"])
        ],
        "chart": {"trend": chart},
    }
    return render(request, "web/ratings/dashboard.html", context)


urlpatterns = [path("", dashboard, name="ratings")]
