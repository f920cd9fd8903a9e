"""``GET /ping``: the API answers, through the same stack as every endpoint (middleware, routing,
the error shape), without touching the database; for monitoring, and as the load benchmark's
trivial endpoint (``benchmarks/api_load.py``).  ``/healthz`` (outside the API) also checks the
database."""

from __future__ import annotations

from typing import Literal

from ninja import Schema

from yanpiao.api import routers

router = routers.health


class Pong(Schema):
    status: Literal["ok"]


@router.get("/ping", response=Pong, auth=None, url_name="ping")
def ping(request):
    """The API is up: ``{"status": "ok"}``. No authentication, no database."""
    return {"status": "ok"}
