"""Pages: thin adapters over the services."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from yanpiao.access import personal_data
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.types import NAMES
from yanpiao.registry import services as registry
from yanpiao.security import clients
from yanpiao.verification import services as verification
from yanpiao.verification.models import Channel
from yanpiao.verification.throttling import TooManyChecks
from yanpiao.web.errors import error_page
from yanpiao.web.forms import VerifyForm

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "HEAD", "POST"])
def home(request):
    """What Yanpiao holds, and the form that verifies an invoice by its typed fields."""
    result = None
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        query = Query.from_fields(**form.cleaned_data)
        try:
            result = verification.verify(
                query, actor=request.user, channel=Channel.WEB, client=clients.address(request)
            )
        except TooManyChecks as refused:
            return error_page(request, 429, str(refused), {"Retry-After": str(refused.retry_after)})
    context = {
        "form": form,
        "result": result,
        "invoice_count": registry.count_invoices(),
        "type_names": NAMES,
    }
    return render(request, "web/home.html", context, status=400 if form.errors else 200)


@require_safe
def verify_link(request):
    """A shareable verify link (``/verify?code=…&number=…&issue_date=…&amount=…``): the result at once."""
    return home(request)


@require_safe
def healthz(request):
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"; the reason is for the log only
        logger.exception("health check: the database is unavailable")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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
