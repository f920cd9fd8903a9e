"""Log lines are JSON objects carrying the request's id, which the response echoes; a client's id
is kept only when well-formed; the access line tells method, path, status and time, nothing personal."""

import io
import json
import logging

import pytest
import structlog

from yanpiao.observability import logs


@pytest.fixture
def written():
    """What the site's log handler writes (to stderr in service), as text."""
    [handler] = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream.getvalue
    handler.setStream(previous)


def lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines()]


def access_lines(captured: str) -> list[dict]:
    return [line for line in lines(captured) if line["logger"] == "yanpiao.access"]


def test_every_line_of_a_request_is_json_with_its_request_id(client, db, written):
    answer = client.get("/no-such-page", HTTP_X_REQUEST_ID="req-7f3a9c21")
    written = lines(written())
    access = [line for line in written if line["logger"] == "yanpiao.access"]
    django_line = [line for line in written if line["logger"] == "django.request"]
    assert answer["X-Request-ID"] == "req-7f3a9c21"
    assert access and django_line
    assert {line["request_id"] for line in access + django_line} == {"req-7f3a9c21"}
    assert django_line[0]["level"] == "warning" and "timestamp" in django_line[0]


def test_the_access_line_holds_method_path_status_duration_and_route(client, db, written):
    client.get("/healthz", HTTP_X_REQUEST_ID="monitor-0001")
    [line] = access_lines(written())
    assert line["event"] == "request" and line["level"] == "info"
    assert (line["method"], line["path"], line["status"], line["route"]) == (
        "GET",
        "/healthz",
        200,
        "healthz",
    )
    assert line["duration_ms"] >= 0 and line["request_id"] == "monitor-0001"


def test_the_access_line_keeps_no_query_string_and_no_values_of_the_path(client, db, written):
    client.get("/verifications/0190a8a0-1234-7000-8000-000000000abc/?email=someone@example.com")
    captured = written()
    [line] = access_lines(captured)
    assert line["path"] == "/verifications/<uuid:public_id>/"
    assert "example.com" not in captured and "0190a8a0-1234" not in captured


def test_a_request_without_an_id_gets_a_new_one(client, db):
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0 and first != second


@pytest.mark.parametrize(
    "forged",
    ["x" * 65, "abc def", 'a"}, {"admin": true', "line\\nbreak", "-leading-dash", "中文编号", "a;b"],
)
def test_a_forged_or_overlong_request_id_is_replaced(client, db, forged):
    echoed = client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
    assert echoed != forged and len(echoed) == 32


@pytest.mark.parametrize(
    "well_formed",
    ["a", "0f9e8d7c6b5a49382716a5b4c3d2e1f0", "Root=1-67891233-abcdef012345678912345678", "x" * 64],
)
def test_a_well_formed_request_id_is_kept(well_formed):
    assert logs.request_id(well_formed) == well_formed


def test_a_traceback_is_one_json_line_with_its_exception(written):
    try:
        raise ValueError("the registry answered nonsense")
    except ValueError:
        logging.getLogger("yanpiao.tests").exception("could not compare")
    [line] = [line for line in lines(written()) if line["logger"] == "yanpiao.tests"]
    assert line["event"] == "could not compare" and line["level"] == "error"
    assert "ValueError: the registry answered nonsense" in line["exception"]


def test_chinese_stays_readable_in_the_json(written):
    logging.getLogger("yanpiao.tests").warning("发票查验失败")
    assert "发票查验失败" in written()


def test_the_handler_writes_to_the_standard_error_of_the_moment(monkeypatch):
    """Not to the one of when logging was configured, which a capture or a redirect may have closed."""
    import sys

    from yanpiao.observability.logs import StderrHandler

    then, now = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", then)
    handler = StderrHandler()
    then.close()
    monkeypatch.setattr(sys, "stderr", now)
    handler.emit(logging.makeLogRecord({"msg": "still written"}))
    handler.setStream(io.StringIO())  # flushes the live stream, not the closed one
    assert "still written" in now.getvalue()
