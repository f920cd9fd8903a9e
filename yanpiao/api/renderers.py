"""How the API writes JSON: orjson (fast, UTF-8 as it is — Chinese stays readable), with decimal
amounts as strings, as the invoice JSON writes them."""

from __future__ import annotations

from decimal import Decimal

import orjson
from django.http import HttpResponse
from ninja.renderers import BaseRenderer


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request, data, *, response_status: int) -> bytes:
        return orjson.dumps(data, default=_default)


def json_response(data, status: int = 200) -> HttpResponse:
    """``data`` written as the API writes JSON, for a view whose answer needs no validation on
    the way out (ninja passes a response through as it is)."""
    return HttpResponse(
        orjson.dumps(data, default=_default), status=status, content_type="application/json; charset=utf-8"
    )
