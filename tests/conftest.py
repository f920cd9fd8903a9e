"""Fixtures shared by the whole suite."""

import itertools

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from tests import factories
from yanpiao import translations
from yanpiao.accounts.models import Role, User
from yanpiao.registry import services as registry

# Two noisy cores: no per-example deadline; a failure prints what reproduces it.
hypothesis_settings.register_profile("yanpiao", deadline=None, print_blob=True)
hypothesis_settings.load_profile("yanpiao")


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The English catalogue as `make` compiles it, for a run of pytest without make."""
    translations.compile_catalogues()


@pytest.fixture
def register(db):
    """Register invoices built by the factories; returns the fapiao invoice."""

    def _register(invoice=None, **fields):
        invoice = invoice or factories.invoice(**fields)
        registry.register(invoice)
        return invoice

    return _register


_serial = itertools.count(1)


@pytest.fixture
def make_user(db):
    def _make_user(role=Role.TAXPAYER, organisation=None, **fields):
        email = fields.pop("email", f"access{next(_serial)}@example.com")
        return User.objects.create_user(email=email, role=role, organisation=organisation, **fields)

    return _make_user


@pytest.fixture
def login(client):
    """Log a user in; auditors and admins with a session already past two-factor authentication."""

    def _login(user):
        client.force_login(user)
        if user.needs_two_factor:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _login


@pytest.fixture
def own_keysets(settings, tmp_path, monkeypatch):
    """Keysets (and the certificate signing key) in a home of the test's own, created afresh, under
    the suite's master key: audit entries written in committed transactions stay in the one chain
    that the audit tests verify."""
    import base64

    from yanpiao.security import keys

    monkeypatch.setenv("YANPIAO_MASTER_KEY", base64.b64encode(keys.master_key()).decode())
    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()
    keys.forget()
    yield settings.HOME
    keys.forget()


@pytest.fixture
def audit_events(monkeypatch):
    """The audit events recorded during the test (still written to the audit log)."""
    from yanpiao.security import audit

    events, real = [], audit.record

    def record(action, actor=None, target="", detail=None):
        events.append({"action": action, "actor": actor, "target": target, "detail": detail})
        return real(action, actor=actor, target=target, detail=detail)

    monkeypatch.setattr(audit, "record", record)
    return events


@pytest.fixture
def timed_reads_held(settings, monkeypatch):
    """The reads a request repeats only after a while (the guard's blocks after 2 s, a token's last
    use once a minute) held still, for tests that compare the queries of two requests: on a slow
    machine the work between them may take that long."""
    import datetime

    from yanpiao.accounts import tokens
    from yanpiao.guard import services as guard

    settings.YANPIAO_GUARD_CACHE_SECONDS = 3600
    monkeypatch.setattr(tokens, "LAST_USED_RESOLUTION", datetime.timedelta(days=1))
    guard.forget_cache()
    yield
    guard.forget_cache()
