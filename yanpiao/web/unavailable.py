"""503 while the database cannot be reached: a plain page, or the API's error shape under ``/api/``,
with ``Retry-After``, never a traceback; the site recovers by itself once the database is back.

The middleware sits just inside ``ErrorShapeMiddleware`` and turns into a 503:

* an ``OperationalError`` or ``InterfaceError`` a view raises (``process_exception``);
* a 500 answered while a database connection of this request is unusable or failed to open:
  what a middleware, the API's own catch-all or the driver's cursor made of a lost connection.

The broken connections are closed here, so the next request opens new ones; a connection that
broke while idle (the database restarted between two requests) is caught by Django's health
check (``CONN_HEALTH_CHECKS``) before it is used.  The page is drawn without the visitor's
context: the session and the account live in the database that is gone.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
LOG_EVERY_SECONDS = 60.0
CODE = "unavailable"
# The API's message, in both languages at once as its other messages are (yanpiao.api.errors).
API_MESSAGE = "服务暂时不可用，请稍后再试。The service is temporarily unavailable; please try again later."
UNREACHABLE = (OperationalError, InterfaceError)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)

_last_logged = float("-inf")


class DatabaseUnavailableMiddleware:
    """A lost database answers 503 with a message, and the lost connections are closed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = self.get_response(request)
        if answer.status_code == 500 and broken_connections():
            return unavailable(request, reason="a 500 while the database was unreachable")
        return answer

    def process_exception(self, request, exception):
        if isinstance(exception, unreachable_errors()):
            broken_connections()
            return unavailable(request, reason=f"{type(exception).__name__}: {exception}".strip())
        return None


def unreachable_errors() -> tuple[type[Exception], ...]:
    """Django's errors of a lost database, and the driver's own (the hot paths use the driver's
    cursor, :mod:`yanpiao.dbapi`)."""
    errors = list(UNREACHABLE)
    for wrapper in connections.all(initialized_only=True):
        errors += [wrapper.Database.OperationalError, wrapper.Database.InterfaceError]
    return tuple(errors)


def broken_connections() -> list[str]:
    """The aliases of this thread's connections that cannot be used now (those that failed to
    open, and those open that fail a ``SELECT 1``), each closed so that the next request connects
    again.  Asked after a 500 only: a healthy connection means the 500 is not the database's."""
    broken = []
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is None:
            if wrapper.errors_occurred:  # it failed to connect (this request: told once)
                wrapper.errors_occurred = False
                broken.append(wrapper.alias)
            continue
        if wrapper.is_usable():
            continue
        broken.append(wrapper.alias)
        try:
            wrapper.close()
        except DatabaseError:  # closing what is already gone may complain; it is closed all the same
            wrapper.connection = None
    return broken


def unavailable(request, reason: str = "") -> HttpResponse:
    """The 503 answer to ``request``: the API's error shape under ``/api/``, else the page."""
    _log(request, reason)
    if request.path.startswith("/api/"):
        answer = JsonResponse(
            {"error": {"code": CODE, "message": API_MESSAGE, "fields": {}}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        context = {
            "status": 503,
            "title": _("服务暂时不可用"),
            "explanation": _("系统暂时无法访问数据库，请稍后再试。您的数据不会因此丢失。"),
            "retry_after": RETRY_AFTER_SECONDS,
        }
        answer = HttpResponse(render_to_string("503.html", context), status=503)
    answer["Retry-After"] = str(RETRY_AFTER_SECONDS)
    answer["Cache-Control"] = "no-store"
    # Drawn past the middlewares that set these on every other answer.
    answer["X-Frame-Options"] = "DENY"
    answer["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return answer


def _log(request, reason: str) -> None:
    """One warning a minute at most, without the traceback: the outage, not each request."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning(
            "database unavailable: answering 503 (%s %s: %s)", request.method, request.path, reason
        )
