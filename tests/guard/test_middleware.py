"""The guard in front of the site: scripted attacks are blocked within their thresholds, ordinary
use never is."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.alerts.models import Alert
from yanpiao.guard import services
from yanpiao.guard.models import Block
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


def typed(query) -> dict:
    return {name: value for name, value in query.to_json().items() if name != "type"}


def unregistered(serial: int) -> dict:
    """The typed fields of an invoice nobody issued (a script walking invoice numbers)."""
    return typed(key_query(factories.invoice(serial=90000 + serial)))


def verify(client, fields, **headers):
    return client.post("/api/v1/verifications", fields, content_type="application/json", **headers)


def assert_blocked_json(response):
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked"
    assert response.json()["error"]["fields"] == {}
    assert 1 <= int(response["Retry-After"]) <= 15 * 60


def test_a_scripted_enumeration_by_an_account_is_blocked_within_its_threshold(client, make_user, bearer):
    headers = bearer(make_user(role=Role.TAXPAYER))
    answers = [verify(client, unregistered(serial), **headers) for serial in range(6)]
    assert [answer.json()["outcome"] for answer in answers] == ["not_found"] * 6
    assert_blocked_json(verify(client, unregistered(6), **headers))
    block = Block.objects.get()
    assert (block.subject, block.reason) == ("account", "enumeration")
    assert Alert.objects.get().kind == "enumeration"


def test_an_account_that_finds_most_of_what_it_checks_is_no_enumeration(client, register, make_user, bearer):
    headers = bearer(make_user(role=Role.TAXPAYER))
    for n in range(12):  # a finance system checking its receipts, a few of them fakes
        assert (
            verify(client, typed(key_query(register(serial=700 + n))), **headers).json()["outcome"]
            == "authentic"
        )
        if n % 2:
            assert verify(client, unregistered(n), **headers).json()["outcome"] == "not_found"
    assert verify(client, unregistered(99), **headers).status_code == 200
    assert not Block.objects.exists()


def test_an_anonymous_enumeration_blocks_the_address(client):
    for serial in range(6):
        assert verify(client, unregistered(serial)).status_code == 200
    assert_blocked_json(client.get("/api/v1/ping"))
    assert client.get("/").status_code == 403
    assert Block.objects.get().subject == "address"


def test_a_credential_stuffing_run_from_one_address_is_blocked(client):
    login = reverse("accounts:login")
    for serial in range(5):
        client.post(login, {"username": f"victim{serial}@example.com", "password": "123456"})
    page = client.get("/")
    assert page.status_code == 403 and 'data-error="403"' in page.content.decode()
    block = Block.objects.get()
    assert (block.subject, block.reason, block.label) == ("address", "credential_stuffing", "127.0.0.*")
    assert Alert.objects.get().kind == "credential_stuffing"


def test_one_account_failing_often_is_axes_business_not_credential_stuffing(client):
    login = reverse("accounts:login")
    for _ in range(6):
        client.post(login, {"username": "forgetful@example.com", "password": "wrong"})
    assert not Block.objects.exists()


def test_a_scanner_asking_for_probe_paths_is_blocked_at_its_third_probe(client):
    assert client.get("/.env").status_code == 404
    assert client.get("/wp-admin/").status_code == 404
    refused = client.get("/phpmyadmin/")
    assert refused.status_code == 403 and refused["Retry-After"]
    assert Block.objects.get().reason == "scanner"
    assert client.get("/").status_code == 403


def test_a_burst_of_404s_is_a_scanner(client):
    for serial in range(8):
        assert client.get(f"/backup-{serial}/").status_code == 404
    assert client.get("/").status_code == 403
    assert Block.objects.get().reason == "scanner"


def test_a_payload_probe_is_blocked(client):
    for _ in range(2):
        assert client.get("/", {"q": "1' OR '1'='1"}).status_code == 200
    assert_blocked_json(client.get("/api/v1/ping", {"id": "1 UNION SELECT password FROM auth_user"}))
    assert Block.objects.get().reason == "payload_probe"
    assert Alert.objects.get().kind == "payload_probe"


def test_ordinary_traffic_is_never_blocked(client, register, make_user, login):
    user = make_user(role=Role.TAXPAYER)
    login(user)
    invoices = [register(serial=500 + n) for n in range(10)]
    for invoice in invoices:  # a user checking the receipts of a month, a few typed wrong
        assert client.post("/", typed(key_query(invoice))).status_code == 200
        assert client.get("/history/").status_code == 200
    for serial in range(3):
        assert client.post("/", unregistered(serial)).status_code == 200
    for path in ("/favicon.ico", "/histroy/", "/help/nothing-here/"):
        client.get(path)
    assert client.get("/").status_code == 200
    assert not Block.objects.exists()


def test_an_allow_listed_network_is_never_counted_nor_blocked(client, settings):
    settings.YANPIAO_GUARD_ALLOW = ["127.0.0.0/8"]
    for _ in range(10):
        assert client.get("/.env").status_code == 404
    assert not Block.objects.exists()
    services.block_address("127.0.0.1", "manual", "by hand")
    assert client.get("/").status_code == 200


def test_the_block_page_says_when_to_come_back(client):
    block, _ = services.block_address("127.0.0.1", "manual", "by hand")
    page = client.get("/history/")
    assert page.status_code == 403
    text = page.content.decode()
    assert 'data-error="403"' in text and "data-error-detail" in text
    assert timezone.localtime(block.until).strftime("%H:%M") in text
    assert 14 * 60 < int(page["Retry-After"]) <= 15 * 60
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.get("/").status_code == 200


def test_a_blocked_account_is_refused_with_its_session_and_its_token(client, make_user, login, bearer):
    user = make_user(role=Role.TAXPAYER)
    headers = bearer(user)
    services.block_account(user.pk, "manual", "by hand")
    assert_blocked_json(Client(REMOTE_ADDR="192.0.2.10").get("/api/v1/verifications", **headers))
    login(user)
    assert client.get("/history/").status_code == 403
    assert Client(REMOTE_ADDR="192.0.2.11").get("/").status_code == 200


def test_a_block_expires_and_its_lifting_is_audited(client, audit_events):
    past = timezone.now() - datetime.timedelta(minutes=16)
    services.block_address("127.0.0.1", "scanner", "probe paths", now=past)
    assert client.get("/").status_code == 200
    assert Block.objects.get().lifted_at is not None
    lifted = [event for event in audit_events if event["action"] == audit.Action.GUARD_UNBLOCK]
    assert len(lifted) == 1 and lifted[0]["detail"] == {"by": "expiry"}


def test_one_alert_is_raised_per_block(client, audit_events):
    for path in ("/.env", "/.git/config", "/wp-login.php", "/.aws/credentials", "/x.php"):
        client.get(path)
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject, alert.occurrences) == ("scanner", "address", 1)
    assert Block.objects.count() == 1
    blocks = [event for event in audit_events if event["action"] == audit.Action.GUARD_BLOCK]
    assert len(blocks) == 1 and blocks[0]["detail"]["reason"] == "scanner"


def test_a_blocked_address_still_gets_the_liveness_probes(client, db):
    """A load balancer behind a blocked address must still see the site alive."""
    services.block_address("127.0.0.1", "manual", "by hand")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/ping").status_code == 403
