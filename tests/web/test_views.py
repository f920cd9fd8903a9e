"""The home page and /healthz."""

import pytest
from django.test import Client

from tests.factories import key_query

pytestmark = pytest.mark.django_db


def test_home_shows_the_registry_and_the_form(client, register):
    register(type="32")
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<strong id="invoice-count">1</strong>' in html
    assert 'name="number"' in html


def test_form_verifies_through_the_service(client, register):
    invoice = register(type="32")
    query = key_query(invoice)
    data = {"number": query.number, "issue_date": query.issue_date, "total": query.total}
    page = client.post("/", data)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-outcome="authentic"' in html and invoice.seller.name in html
    page = client.post("/", dict(data, total="1.00"))
    assert 'data-outcome="mismatch"' in page.content.decode()
    assert invoice.seller.name not in page.content.decode()


def test_form_reports_missing_fields(client):
    page = client.post("/", {"number": ""})
    assert page.status_code == 400
    assert "errorlist" in page.content.decode()


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}


def test_healthz_tells_no_one_why_the_database_failed(client, monkeypatch, caplog):
    from django.db.backends.base.base import BaseDatabaseWrapper

    def broken(self):
        raise RuntimeError("password authentication failed for user secret_admin")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", broken)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "error", "database": "unavailable"}
    assert "secret_admin" not in answer.content.decode() and "secret_admin" in caplog.text


HUGE_EXPONENTS = ["1E+999999999", "-1E+999999999", "1E999999999999999999"]


@pytest.mark.parametrize("value", HUGE_EXPONENTS)
@pytest.mark.parametrize("field", ["total", "amount"])
def test_an_amount_with_a_huge_exponent_is_an_invalid_field(client, register, field, value):
    query = key_query(register(type="32"))
    page = client.post("/", {"number": query.number, "issue_date": query.issue_date, field: value})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-outcome="invalid"' in html and f'data-field="{field}"' in html


@pytest.mark.parametrize("charset", ["utf-16", "utf-7", "latin-1"])
def test_a_form_in_a_charset_that_cannot_be_read_is_a_400_page(charset):
    client = Client(enforce_csrf_checks=True)
    token = client.get("/").cookies["csrftoken"].value
    page = client.generic(
        "POST",
        "/",
        f"csrfmiddlewaretoken={token}&number=1&issue_date=2026-01-01".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert page.status_code == 400
    assert 'data-error="400"' in page.content.decode()


@pytest.mark.parametrize("path", ["/", "/healthz"])
def test_monitors_may_ask_with_head(client, path):
    page = client.head(path)
    assert page.status_code == 200
    assert page.content == b""


def test_the_sixth_check_of_an_invoice_in_a_day_is_a_429_with_the_retry_time(client, register):
    query = key_query(register(type="32"))
    data = {"number": query.number, "issue_date": query.issue_date, "total": query.total}
    for _ in range(5):
        assert client.post("/", data).status_code == 200
    page = client.post("/", data)
    assert page.status_code == 429
    assert 'data-error="429"' in page.content.decode()
    assert 0 < int(page["Retry-After"]) <= 86400
