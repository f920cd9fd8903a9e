"""Fixtures of the API tests: bearer tokens, and JSON calls through the Django test client."""

import pytest

from yanpiao.accounts import tokens


@pytest.fixture
def bearer(db):
    """Headers that authenticate as ``user`` with a new token carrying ``scopes``."""

    def _bearer(user, scopes=("verify", "history:read")):
        _, secret = tokens.create_token(user, "tests", scopes)
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return _bearer


@pytest.fixture
def api(client):
    """``api.post(path, json, **headers)`` and ``api.get(path, **headers)`` under ``/api/v1``."""

    class Api:
        def post(self, path, data=None, **headers):
            return client.post(f"/api/v1{path}", data or {}, content_type="application/json", **headers)

        def get(self, path, **headers):
            return client.get(f"/api/v1{path}", **headers)

    return Api()
