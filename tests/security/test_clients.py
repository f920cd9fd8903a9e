"""The client address: the connection's, or the one the trusted proxy appended."""

import pytest
from django.test import RequestFactory

from yanpiao.security import clients


def request(remote="203.0.113.9", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_directly_the_address_is_the_connections_whatever_the_client_claims(settings):
    settings.YANPIAO_BEHIND_PROXY = False
    assert clients.address(request(forwarded="198.51.100.1")) == "203.0.113.9"


def test_behind_a_proxy_it_is_the_address_the_proxy_appended(settings):
    settings.YANPIAO_BEHIND_PROXY = True
    assert clients.address(request("10.0.0.2", "198.51.100.1, 192.0.2.44")) == "192.0.2.44"
    assert clients.address(request("10.0.0.2")) == "10.0.0.2"


@pytest.mark.parametrize("remote", ["", "not-an-address", "999.1.1.1"])
def test_an_unusable_address_is_none(settings, remote):
    settings.YANPIAO_BEHIND_PROXY = False
    assert clients.address(request(remote)) is None


def test_ipv6_is_written_one_way(settings):
    settings.YANPIAO_BEHIND_PROXY = False
    assert clients.address(request("2001:DB8::0:1")) == "2001:db8::1"
