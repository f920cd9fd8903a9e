"""The request guard in front of every request: refuse what is blocked, watch what comes and goes.

Before the view: an address that is blocked is refused at once (403, ``Retry-After``) — a page,
or under ``/api/`` the API's error shape with the code ``blocked``; a request for a probe path or
carrying an attack string is counted, and refused when it is the one that crossed the threshold.
Once the account is known (:meth:`GuardMiddleware.process_view`), a blocked account is refused
the same way.  After the response: a 404 is counted, and a verification's outcomes are
(enumeration).  Failed log-ins are counted by :func:`yanpiao.guard.detectors.login_failed`.

Addresses in ``YANPIAO_GUARD_ALLOW``, and the probes of :data:`UNGUARDED`, pass untouched.  An ordinary request costs the look-up in
the in-process cache of blocks (:mod:`yanpiao.guard.services`) and a few regular expressions; no
query, unless it is a 404 or a verification (one or two counters more).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from yanpiao.accounts import tokens
from yanpiao.guard import detectors, services
from yanpiao.guard.models import Block
from yanpiao.security import clients

logger = logging.getLogger(__name__)

TEMPLATE = "error.html"
PASSED = "_guard_passed"  # set on a request from a trusted network: nothing more to look at
# Liveness and readiness probes answer whoever asks and touch nothing: a load balancer behind a
# blocked address must still see the site alive, and /metrics keeps its own allow-list.
UNGUARDED = frozenset({"/healthz", "/readyz", "/metrics"})


class GuardMiddleware:
    """Right after ``SecurityMiddleware``: see the module docstring."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.YANPIAO_GUARD_ENABLED or request.path in UNGUARDED:
            setattr(request, PASSED, True)
            return self.get_response(request)
        address = clients.address(request)
        if detectors.allowed(address):
            setattr(request, PASSED, True)
            return self.get_response(request)
        if address:
            try:
                block = services.address_blocked(address) or self._inspect(request, address)
            except DatabaseError:  # the database is down: the layers below answer that (503)
                logger.warning("guard: no look-up, the database is unavailable")
                block = None
            if block is not None:
                return refusal(request, block)
        response = self.get_response(request)
        if address:
            self._watch(request, response, address)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """A blocked account is refused here, where the session's user is known; a bearer
        token's owner is looked up only while some account is blocked at all."""
        if not settings.YANPIAO_GUARD_ENABLED or getattr(request, PASSED, False):
            return None
        try:
            if not services.any_account_blocked():
                return None
            block = services.account_blocked(_account_id(request, bearer=True))
        except DatabaseError:
            return None
        return refusal(request, block) if block is not None else None

    def _inspect(self, request, address: str) -> Block | None:
        if detectors.probe_path(request.path):
            return detectors.scanner_probe(address)
        what = detectors.payload_probe(request)
        if what:
            return detectors.payload(address, what)
        return None

    def _watch(self, request, response, address: str) -> None:
        try:
            if response.status_code == 404:
                detectors.not_found_page(address)
            answered = detectors.outcomes(request, response)
            if answered:
                detectors.enumeration(address, _account_id(request), answered)
        except Exception:  # the answer is made: a failure to count must not lose it
            logger.exception("guard: counting after %s %s failed", request.method, request.path)


def _account_id(request, bearer: bool = False) -> int | None:
    """The signed-in account: the API's caller, the session's user, or (``bearer``) a token's owner."""
    caller = getattr(request, "auth", None)
    user = getattr(caller, "user", None) or getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.pk
    header = request.headers.get("Authorization")
    if bearer and header:
        found = tokens.authenticate(header)
        return found[0].pk if found else None
    return None


def refusal(request, block: Block) -> HttpResponse:
    """403 for a blocked address or account, with ``Retry-After`` (seconds until the block ends)."""
    seconds = max(1, int((block.until - timezone.now()).total_seconds() + 0.999))
    when = timezone.localtime(block.until).strftime("%H:%M")
    if request.path.startswith("/api/"):
        message = (
            f"访问已被暂时限制，请于 {when} 后再试。"
            f"Access is blocked for a while; try again in {seconds} s (after {when})."
        )
        answer = JsonResponse(
            {"error": {"code": "blocked", "message": message, "fields": {}}},
            status=403,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        context = {
            "status": 403,
            "title": _("访问已被暂时限制"),
            "explanation": _("来自您的网络的请求触发了安全防护，访问已被暂时限制。如有疑问，请联系管理员。"),
            "detail": _("请于 %(time)s 后再试。") % {"time": when},
        }
        try:
            answer = render(request, TEMPLATE, context, status=403)
        except Exception:  # refused before the session and the user are known: the page without them
            answer = HttpResponse(render_to_string(TEMPLATE, context), status=403)
    answer["Retry-After"] = str(seconds)
    answer["Cache-Control"] = "no-store"
    return answer
