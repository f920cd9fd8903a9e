"""Two-factor authentication is mandatory for auditors and admins, and nobody else is asked."""

import itertools
from urllib.parse import quote

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from yanpiao.accounts.models import Role, User

pytestmark = pytest.mark.django_db

SETUP = "/security/two-factor/setup/"
VERIFY = "/security/two-factor/verify/"
PAGES = [
    "/",
    "/security/tokens/",
    "/organisations/1/",
    "/verifications/00000000-0000-0000-0000-000000000000/",
]

_serial = itertools.count(1)


def make_user(role=Role.TAXPAYER, **fields):
    return User.objects.create_user(email=f"twofactor{next(_serial)}@example.com", role=role, **fields)


def code_of(device: TOTPDevice, offset: int = 0) -> str:
    """The device's code ``offset`` steps from now (6 digits)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - offset * device.step):06d}"


def wrong_code(device: TOTPDevice) -> str:
    valid = {code_of(device, offset) for offset in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in valid)


@pytest.fixture(params=[Role.AUDITOR, Role.ADMIN])
def staff(request, client):
    user = make_user(request.param)
    client.force_login(user)
    return user


def test_without_a_device_every_page_sends_to_setup(client, staff):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.url == f"{SETUP}?next={quote(page, safe='')}"
    assert client.post("/security/tokens/", {"name": "x"}).url == SETUP


def test_a_superuser_is_asked_too(client):
    admin = User.objects.create_superuser(email="root@example.com")
    client.force_login(admin)
    assert client.get("/").url.startswith(SETUP)


def test_setup_confirms_a_device_with_a_correct_code(client, staff):
    page = client.get(SETUP + "?next=/security/tokens/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "otpauth://totp/" in html
    assert quote(staff.email, safe="") in html or staff.email in html
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed

    wrong = client.post(SETUP, {"code": wrong_code(device), "next": "/security/tokens/"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").url.startswith(SETUP)

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    right = client.post(SETUP, {"code": code_of(device), "next": "/security/tokens/"})
    assert right.status_code == 302 and right.url == "/security/tokens/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/security/tokens/").status_code == 200


def test_setup_shows_the_same_pending_device_until_confirmed(client, staff):
    client.get(SETUP)
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_with_a_device_an_unverified_session_is_sent_to_verify(client, staff):
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302
        assert response.url == f"{VERIFY}?next={quote(page, safe='')}"
    # The set-up page cannot add a second device to an unverified session.
    assert client.get(SETUP).url.startswith(VERIFY)


def test_a_correct_code_lets_the_user_through(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    response = client.post(VERIFY, {"code": code_of(device), "next": "/security/tokens/"})
    assert response.status_code == 302 and response.url == "/security/tokens/"
    assert client.get("/security/tokens/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_wrong_code_does_not(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    response = client.post(VERIFY, {"code": wrong_code(device), "next": "/"})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert client.get("/").url.startswith(VERIFY)


def test_a_code_cannot_be_used_twice(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    code = code_of(device)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    client.force_login(staff)
    assert client.post(VERIFY, {"code": code}).status_code == 400


def test_next_must_stay_on_this_site(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    response = client.post(VERIFY, {"code": code_of(device), "next": "https://evil.example/"})
    assert response.url == "/"


def test_healthz_static_files_and_logout_are_not_held_back(client, staff):
    assert client.get("/healthz").status_code == 200
    assert not client.post("/accounts/logout/").url.startswith((SETUP, VERIFY))
    assert client.get("/static/missing.css").status_code == 404  # reaches the resolver, not the redirect


def test_a_taxpayer_is_not_asked(client):
    for role in (Role.TAXPAYER, Role.ISSUER):
        client.force_login(make_user(role))
        assert client.get("/").status_code == 200
        assert client.get("/security/tokens/").status_code == 200
        assert client.get(SETUP).url == "/"  # and is not offered the set-up either
    assert not TOTPDevice.objects.exists()


def test_anonymous_visitors_are_not_asked(client):
    assert client.get("/").status_code == 200
