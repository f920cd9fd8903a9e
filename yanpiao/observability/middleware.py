"""The first middleware: gives each request its id (bound into every log line written while it
is answered, and echoed in the ``X-Request-ID`` response header), counts it in the metrics by
method, route name and status class, times it, and writes one access-log line.

The access line holds the method, the path (its route template, ``/invoices/<str:code>/…``, when
the path carries values: codes, numbers, tokens), the status, the duration in milliseconds, the
route name and the request id; never the query string, the body, a header or an address.  The
metrics are labelled by the URL route's name, not the raw path, so that their number stays
bounded whatever the clients ask for (``unmatched`` for paths that match no route).
"""

from __future__ import annotations

import time

import structlog
from django.core.signals import request_finished

from yanpiao.observability import logs, metrics

UNMATCHED = "unmatched"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(forget_request, dispatch_uid="yanpiao.observability.forget_request")

    def __call__(self, request):
        request_id = logs.request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        response[logs.REQUEST_ID_HEADER] = request_id
        route, path = route_of(request)
        metrics.request(request.method, route, response.status_code, seconds)
        logs.access(
            request_id,
            method=request.method,
            path=path,
            status=response.status_code,
            duration_ms=round(seconds * 1000, 2),
            route=route,
        )
        # The id stays bound until the response is closed: Django logs its 4xx and 5xx
        # ("Not Found: …") after the middleware has answered.
        return response


def forget_request(**kwargs) -> None:
    """Once a response has been sent: later lines of this thread are no request's."""
    structlog.contextvars.clear_contextvars()


def route_of(request) -> tuple[str, str]:
    """The route's name (``web:home``; its template when unnamed) and the path to log."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED, request.path[:200]
    template = "/" + match.route
    path = template if (match.args or match.kwargs) else request.path
    return match.view_name or template, path
