"""Pages: thin adapters over the services."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from yanpiao.access import personal_data
from yanpiao.fapiao.compare import INVALID
from yanpiao.registry import services as registry
from yanpiao.security import clients
from yanpiao.verification import services as verification
from yanpiao.verification.models import Channel
from yanpiao.verification.throttling import TooManyChecks
from yanpiao.web.errors import error_page
from yanpiao.web.forms import VerifyForm


@require_http_methods(["GET", "HEAD", "POST"])
def home(request):
    """What Yanpiao holds, and the form that verifies an invoice by its typed fields."""
    return _verify_page(request, VerifyForm(request.POST if request.method == "POST" else None))


@never_cache
@require_safe
def verify_link(request):
    """A shareable verify link (``/verify?code=…&number=…&issue_date=…&amount=…``, the form's
    names): the result at once, counted and recorded like any check.  Without fields it is the
    empty form; a HEAD (a link preview) shows the form filled in and does not verify."""
    if request.method == "HEAD" or not request.GET:
        return _verify_page(request, VerifyForm(initial=request.GET.dict()))
    return _verify_page(request, VerifyForm(request.GET))


def _verify_page(request, form: VerifyForm):
    """The home page with the form; a bound form that is valid is verified through the service.
    An ``invalid`` outcome is shown as the form's errors, each beside its field (400)."""
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = verification.verify(
                form.query(), actor=request.user, channel=Channel.WEB, client=clients.address(request)
            )
        except TooManyChecks as refused:
            return error_page(request, 429, str(refused), {"Retry-After": str(refused.retry_after)})
        if result.outcome == INVALID:
            form.add_findings(result.findings)
            result = None
    context = {
        "form": form,
        "result": result,
        "verify_link": _link(form) if result else "",
        "invoice_count": registry.count_invoices(),
    }
    return render(request, "web/home.html", context, status=400 if form.errors else 200)


def _link(form: VerifyForm) -> str:
    """The verify link of what the visitor typed (their own input, nothing masked)."""
    fields = {name: value for name, value in form.cleaned_data.items() if value}
    return f"{reverse('web:verify')}?{urlencode(fields)}"


@login_required
@require_GET
def my_data(request):
    """Everything Yanpiao keeps about the signed-in user, as a JSON download."""
    response = JsonResponse(
        personal_data.export_user_data(request.user), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="yanpiao-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response
