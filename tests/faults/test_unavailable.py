"""While the database cannot be reached the site answers 503 with a message and Retry-After: a page
in the visitor's language, the API's error shape under /api/; never a traceback."""

import json

import pytest
from django.db import connections

from yanpiao.web import unavailable

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.faults.broken_urls")]


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "OperationalError" not in text and 'File "' not in text


def test_a_page_whose_database_is_unreachable_is_a_503_page_in_chinese(client):
    page = client.get("/broken/")
    html = page.content.decode()
    assert page.status_code == 503 and page["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS)
    assert 'data-error="503"' in html and "服务暂时不可用" in html and 'class="site-header"' in html
    assert no_traceback(html)


def test_the_503_page_is_in_english_for_an_english_visitor(client):
    page = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 503 and "temporarily unavailable" in html and "服务暂时不可用" not in html


def test_the_api_answers_503_in_its_error_shape_with_code_unavailable(client):
    answer = client.get("/api/v1/broken")
    body = json.loads(answer.content)
    assert answer.status_code == 503 and answer["Content-Type"].startswith("application/json")
    assert body["error"]["code"] == "unavailable" and body["error"]["fields"] == {}
    assert "稍后再试" in body["error"]["message"] and "try again later" in body["error"]["message"]
    assert answer["Retry-After"] == str(unavailable.RETRY_AFTER_SECONDS) and no_traceback(
        answer.content.decode()
    )


def test_a_working_page_is_left_alone(client):
    assert client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connections["default"].vendor != "postgresql", reason="needs PostgreSQL: an SQLite file cannot be cut off"
)
def test_an_api_endpoint_whose_connection_is_lost_answers_503_and_the_next_request_reconnects(client):
    """The API's own catch-all turns the lost connection into a 500; the middleware sees the
    connection is gone and answers 503 instead, and closes it."""
    database = connections["default"]
    port = database.settings_dict["PORT"]
    database.close()
    database.settings_dict["PORT"] = "1"  # nothing listens there: as if the server were down
    try:
        answer = client.post("/api/v1/verifications", {"number": "24112000000299999999"}, "application/json")
    finally:
        database.settings_dict["PORT"] = port
    assert answer.status_code == 503 and json.loads(answer.content)["error"]["code"] == "unavailable"
    assert database.connection is None  # closed: the next request connects again
    again = client.post(
        "/api/v1/verifications",
        {"number": "24112000000299999999", "issue_date": "2024-10-05", "total": "100.00"},
        "application/json",
    )
    assert again.status_code == 200, again.content
