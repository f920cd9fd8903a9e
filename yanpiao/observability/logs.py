"""Structured logs: JSON lines on stderr through structlog, the standard library's loggers
(Django's, the libraries', ``logging.getLogger(__name__)`` everywhere in Yanpiao) included.

:func:`configure` is Django's ``LOGGING_CONFIG``: it applies ``settings.LOGGING`` as usual, then
gives every handler of the root logger structlog's formatter, so that each line is one JSON object
with ``timestamp`` (UTC), ``level``, ``logger``, ``event`` (the message), ``exception`` (a
traceback, when there is one) and whatever the request has bound — its ``request_id``
(:mod:`.middleware`).  ``YANPIAO_LOG_FORMAT=text`` gives the same fields as readable lines.

A request's id comes from its ``X-Request-ID`` header when that is well-formed (nginx's
``$request_id``, a load balancer's trace id), else it is new (:func:`request_id`): a client cannot
write a line break, a quote or a kilobyte into every line of its request.
"""

from __future__ import annotations

import datetime
import logging
import logging.config
import re
import sys
import uuid

import orjson
import structlog
from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS = "yanpiao.access"  # the logger of the access lines
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,63}")

_SHARED = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def request_id(header: str | None) -> str:
    """The id of a request: the header's when it is well-formed (1–64 letters, digits and
    ``. _ : = + -``), else a new one (32 hexadecimal digits)."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _json(event: dict, **options) -> str:
    """One line of JSON (orjson: several times json's speed; UTF-8, so Chinese stays readable)."""
    return orjson.dumps(event, default=str).decode()


def configure(logging_settings: dict) -> None:
    """Apply ``logging_settings`` (Django's LOGGING), then render every line through structlog."""
    logging.config.dictConfig(logging_settings)
    if getattr(settings, "YANPIAO_LOG_FORMAT", "json") == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_json)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    formatter = Formatter(
        renderer,
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class StderrHandler(logging.StreamHandler):
    """A stream handler writing to ``sys.stderr`` as it is when a line is written, not as it was when
    logging was configured: a process whose standard error is swapped (a daemon's redirect, a
    test's capture) keeps logging to the live one.  A stream set explicitly (``setStream``) is kept."""

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        self._stream = None if value is sys.stderr else value


class Formatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, with a short way for the access lines, which come complete
    (:func:`access`): one per request, they skip structlog's processors."""

    def __init__(self, renderer, **options):
        super().__init__(**options)
        self.renderer = renderer

    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS and isinstance(record.msg, dict):
            return self.renderer(None, "info", dict(record.msg))
        return super().format(record)


_access = logging.getLogger(ACCESS)


def access(request_id: str, **fields) -> None:
    """Write a request's access line: ``fields``, its id, and what every line has."""
    if _access.isEnabledFor(logging.INFO):
        now = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
        line = {"event": "request", **fields, "request_id": request_id}
        _access.info(line | {"level": "info", "logger": ACCESS, "timestamp": now})


def get_logger(name: str):
    """A structlog logger writing through the standard library's ``name``."""
    return structlog.stdlib.get_logger(name)
