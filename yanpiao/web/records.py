"""Pages of one record: a verification, a registered invoice, an organisation; and the reveal.

Thin adapters: each record comes through :mod:`yanpiao.access.visibility` (404 to whoever may
not see it) and is shown as :mod:`yanpiao.access.disclosure` decides, in full or masked.
Auditors and admins reveal a personal-data field by giving a reason (audited).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yanpiao.access import disclosure, visibility
from yanpiao.fapiao.compare import Difference
from yanpiao.fapiao.findings import Finding
from yanpiao.fapiao.invoice import from_json
from yanpiao.risk.assessment import stored as stored_risk
from yanpiao.verification.services import Result
from yanpiao.web.forms import RevealForm


@require_GET
@login_required
def verification_detail(request, public_id):
    """One verification of the history: the result card as the verifier saw it, as far as the
    viewer may see it, with who checked it, when and through which channel."""
    verification = visibility.verification_for(request.user, public_id)
    view = disclosure.verification_view(request.user, verification)
    context = {"view": view, "result": stored_result(request.user, view)}
    return render(request, "web/verification.html", context)


def stored_result(viewer, view: disclosure.VerificationView) -> Result:
    """A stored verification in the shape of a fresh one (:class:`~yanpiao.verification.services.Result`),
    so the result page shows it with the same partials: its differences as ``view`` discloses them,
    the invoice as :func:`~yanpiao.access.disclosure.verification_answer` reveals it (masked for staff)."""
    verification = view.verification
    answer = disclosure.verification_answer(viewer, verification)
    return Result(
        verification_id=verification.public_id,
        outcome=verification.outcome,
        submitted=verification.submitted,
        checked_at=verification.created_at,
        channel=verification.channel,
        differences=tuple(Difference(**difference) for difference in view.differences),
        findings=[Finding(**finding) for finding in verification.findings],
        invoice=from_json(answer["invoice"]) if answer["invoice"] else None,
        status_history=answer["status_history"],
        signature=answer["signature"],
        risk=stored_risk(verification.risk_score, verification.risk_reasons),
    )


@require_GET
@login_required
def invoice_detail(request, code: str, number: str):
    """A registered invoice; ``-`` stands for the empty code of a 数电票."""
    invoice = visibility.invoice_for(request.user, "" if code == "-" else code, number)
    return render(request, "web/invoice.html", {"view": disclosure.invoice_view(request.user, invoice)})


@require_GET
@login_required
def organisation_detail(request, organisation_id: int):
    organisation = visibility.organisation_for(request.user, organisation_id)
    view = disclosure.organisation_view(request.user, organisation)
    return render(request, "web/organisation.html", {"view": view})


@never_cache
@login_required
@require_POST
def reveal(request):
    """An auditor or admin reads one personal-data field in full, giving a reason (audited)."""
    if not visibility.is_staff(request.user):
        raise visibility.NotVisible("no such page")
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            value = disclosure.reveal(request.user, data["target"], data["field"], data["reason"])
        except ValueError as exc:
            form.add_error(None, str(exc))
    context = {"form": form, "value": value}
    return render(request, "web/revealed.html", context, status=200 if value is not None else 400)
