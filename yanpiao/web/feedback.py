"""What a verifier says about a result: a rating (1–5 with a comment) and a report of a suspicious invoice.

Thin adapters over :mod:`yanpiao.feedback.services`, under ``verifications/<public_id>/``.  The
forms are in the partial ``web/_feedback.html`` that the result card and the result page
include; they post here inline with htmx (``HX-Request``: the answer is the partial again, with
thanks or with the errors beside the fields) or as plain forms (a redirect back to the result,
or the forms with their errors on a page of their own).  Whoever may not see the verification
gets 404 (:mod:`yanpiao.access.visibility`), whatever they sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yanpiao.access import visibility
from yanpiao.feedback import services
from yanpiao.feedback.models import ASPECTS, Rating, SuspiciousReport


class RatingForm(forms.ModelForm):
    """A score, optional 1–5 scores per aspect (ASPECTS) and an optional comment; the model's rules
    (1–5, ≤ 1000 characters) validate them."""

    class Meta:
        model = Rating
        fields = ["score", *ASPECTS, "comment"]

    def aspects(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ASPECTS}


class ReportForm(forms.ModelForm):
    """A reason and optional details; the model's rules (the four reasons, ≤ 2000 characters) validate them."""

    class Meta:
        model = SuspiciousReport
        fields = ["reason", "details"]


@dataclass(frozen=True)
class Feedback:
    """What the partial shows besides the empty forms: forms with errors, or what was just stored."""

    rating_form: RatingForm | None = None
    report_form: ReportForm | None = None
    rating: Rating | None = None
    report: SuspiciousReport | None = None


@login_required
@require_POST
def rate(request, public_id):
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _refused(request, public_id, Feedback(rating_form=form))
    rating = services.rate(
        request.user, public_id, form.cleaned_data["score"], form.cleaned_data["comment"], form.aspects()
    )
    return _stored(request, public_id, Feedback(rating=rating), _("感谢您的评价。"))


@login_required
@require_POST
def report(request, public_id):
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _refused(request, public_id, Feedback(report_form=form))
    stored = services.report(
        request.user, public_id, form.cleaned_data["reason"], form.cleaned_data["details"]
    )
    return _stored(request, public_id, Feedback(report=stored), _("举报已收到，我们会尽快核查。"))


def _stored(request, public_id, feedback: Feedback, message: str):
    """The partial with thanks for htmx; otherwise back to the result, with the message."""
    if _inline(request):
        return render(request, "web/_feedback.html", {"verification_id": public_id, "feedback": feedback})
    messages.success(request, message)
    return redirect("web:verification", public_id=public_id)


def _refused(request, public_id, feedback: Feedback):
    """400 with the errors beside the fields: the partial for htmx, otherwise a page with the forms.
    Only to whoever may see the verification: the errors must not tell an outsider it exists."""
    visibility.verification_for(request.user, public_id)
    template = "web/_feedback.html" if _inline(request) else "web/feedback_form.html"
    return render(request, template, {"verification_id": public_id, "feedback": feedback}, status=400)


def _inline(request) -> bool:
    return request.headers.get("HX-Request") == "true"


urlpatterns = [
    path("rate/", rate, name="feedback_rate"),
    path("report/", report, name="feedback_report"),
]
