"""``GET /api/v1/ping``: the API answers without authentication and without the database."""

from django.test import Client


def test_ping_answers_ok_without_authentication_or_database(db, django_assert_num_queries, settings):
    settings.YANPIAO_GUARD_ENABLED = False  # the guard reads its blocks now and then, ping itself never
    with django_assert_num_queries(0):
        response = Client().get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ping_is_in_the_schema(db, client):  # db: the request guard in front of the schema reads its blocks
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/ping"]["get"]
    assert "security" not in operation
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Pong")
