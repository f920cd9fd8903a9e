"""The whole API against its own schema, with schemathesis: every operation of the served
``/api/v1/openapi.json``, called in-process through the WSGI application.

Each operation gets a bounded number of generated requests (valid and invalid ones), sent with
the bearer token of a user holding every scope, so that authenticated endpoints are exercised
too; file uploads (multipart) included.  Checked on every answer: no 5xx (also when the request's
``Content-Type`` is malformed), and a status code, content type, headers and body the schema
declares; and every 4xx in the one error shape ``{"error": {"code", "message", "fields"}}``
(:mod:`yanpiao.api.errors`), an undeclared method on any path included.

The calls run inside the test's transaction (pytest-django's ``db``): the connection is kept
across the requests as Django's own test client keeps it (``close_old_connections`` does not run
at the start and end of each request), so the test works alike on SQLite and PostgreSQL.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as builtin
from werkzeug.test import Client

from yanpiao.accounts import tokens
from yanpiao.accounts.models import Role, User
from yanpiao.wsgi import application

EXAMPLES_PER_OPERATION = 25
METHODS = ("get", "put", "post", "delete", "patch")

# Loaded at collection, where no test may use the database: building the schema needs none, but the
# request guard in front of it reads its blocks, so it is off for this one request.  (The lazy
# ``schemathesis.pytest.from_fixture`` does not run under pytest 9: it reads ``node._nodeid``.)
with override_settings(YANPIAO_GUARD_ENABLED=False):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def wsgi_in_the_test_transaction(db):
    """Keep the test's connection, and its transaction, across in-process WSGI requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def limits_off(settings):
    """Hundreds of calls from one token and one address are the point here (0 turns a limit off)."""
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 0
    settings.YANPIAO_ANONYMOUS_CHECKS_PER_MINUTE = 0
    settings.YANPIAO_ANONYMOUS_CHECKS_PER_DAY = 0
    settings.YANPIAO_API_REQUESTS_PER_MINUTE = 0
    settings.YANPIAO_API_ANONYMOUS_REQUESTS_PER_MINUTE = 0


@pytest.fixture
def authorization(db):
    """The bearer header of a user whose token carries every scope."""
    user = User.objects.create_user(email="schemathesis@example.com", role=Role.TAXPAYER)
    _, secret = tokens.create_token(user, "schemathesis", tokens.SCOPES)
    return {"Authorization": f"Bearer {secret}"}


def error_shape(ctx, response, case):
    """Every 4xx answers ``{"error": {"code": str, "message": str, "fields": {str: str}}}``."""
    if not 400 <= response.status_code < 500:
        return None
    assert_error_shape(response.status_code, response.content)
    return True


def assert_error_shape(status: int, content: bytes) -> None:
    try:
        body = json.loads(content)
    except ValueError:
        raise AssertionError(f"a {status} answer that is not JSON: {content[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"a {status} answer without 'error': {body!r}"
    assert set(error) == {"code", "message", "fields"}, f"a {status} error's keys are {sorted(error)}"
    assert isinstance(error["code"], str) and error["code"], f"{status}: error.code is not a word"
    assert isinstance(error["message"], str) and error["message"], f"{status}: error.message is empty"
    fields = error["fields"]
    assert isinstance(fields, dict), f"{status}: error.fields is not an object"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()), fields


CHECKS = [
    builtin.not_a_server_error,
    builtin.status_code_conformance,
    builtin.content_type_conformance,
    builtin.response_headers_conformance,
    builtin.response_schema_conformance,
    error_shape,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_the_schema_says(
    case, authorization, limits_off, wsgi_in_the_test_transaction
):
    case.call_and_validate(headers=authorization, checks=CHECKS)


def test_an_undeclared_method_is_a_405_in_the_error_shape(authorization, wsgi_in_the_test_transaction):
    client = Client(application)
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        method = next(m for m in METHODS if m not in operations)
        url = path
        for parameter in next(iter(operations.values())).get("parameters", []):
            if parameter["in"] == "path":  # any value of the right form: the method is refused first
                value = (
                    "0" * 8 + "-0000-4000-8000-" + "0" * 12
                    if parameter["schema"].get("format") == "uuid"
                    else "1"
                )
                url = url.replace("{" + parameter["name"] + "}", value)
        response = client.open(url, method=method.upper(), headers=authorization)
        assert response.status_code == 405, (method.upper(), url, response.status_code)
        assert_error_shape(405, response.data)
