"""The guard's tests: low thresholds, and a cache of blocks that starts empty."""

import pytest

from yanpiao.guard import services


@pytest.fixture(autouse=True)
def guard_settings(settings):
    settings.YANPIAO_GUARD_ENABLED = True
    settings.YANPIAO_GUARD_ALLOW = []
    settings.YANPIAO_GUARD_PROBE_PATHS = 3
    settings.YANPIAO_GUARD_NOT_FOUND_PAGES = 8
    settings.YANPIAO_GUARD_PAYLOAD_PROBES = 3
    settings.YANPIAO_GUARD_ENUMERATION_NOT_FOUND = 6
    settings.YANPIAO_GUARD_ENUMERATION_SHARE = 80
    settings.YANPIAO_GUARD_LOGIN_ACCOUNTS = 5
    settings.YANPIAO_GUARD_BLOCK_MINUTES = 15
    services.forget_cache()
    yield settings
    services.forget_cache()


@pytest.fixture
def bearer(db):
    """Headers that authenticate as ``user`` with a new token carrying ``scopes``."""
    from yanpiao.accounts import tokens

    def _bearer(user, scopes=("verify", "history:read")):
        _, secret = tokens.create_token(user, "tests", scopes)
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return _bearer
