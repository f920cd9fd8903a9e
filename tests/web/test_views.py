"""The home page and /healthz."""

import pytest

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
