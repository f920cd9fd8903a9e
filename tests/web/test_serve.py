"""``yanpiao serve`` runs granian on a fresh home and answers over HTTP."""

import datetime
import http.client
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.loopback import free_port


def start(tmp_path, *args, scheme="http", context=None):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1, context=context)
            break
        except OSError:
            time.sleep(0.2)
    return base, process


@pytest.fixture
def server(tmp_path):
    base, process = start(tmp_path)
    yield base, process
    process.terminate()
    process.wait(timeout=10)


def self_signed(folder):
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_serves_the_home_page_and_healthz(server):
    base, _ = server
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert json.load(response) == {"status": "ok"}
    with urllib.request.urlopen(base + "/", timeout=5) as response:
        html = response.read().decode()
    assert "验票 Yanpiao" in html and 'name="number"' in html


def test_prints_its_url(server):
    base, process = server
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert f"serving at {base}/" in output


def test_serves_https_with_a_certificate(tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(cert))
    base, process = start(
        tmp_path, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https", context=context
    )
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5, context=context) as response:
            assert json.load(response)["status"] == "ok"
        with pytest.raises((OSError, http.client.HTTPException)):  # no plain HTTP on that port
            urllib.request.urlopen(base.replace("https:", "http:") + "/healthz", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_key_without_a_certificate_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "home")
    (tmp_path / "key.pem").write_text("not a key")
    result = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", "serve", "--tls-key", str(tmp_path / "key.pem")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "go together" in result.stderr


def test_a_browser_s_many_keep_alive_connections_are_all_served(server):
    """A browser opens six connections and keeps them open; each must be answered, whatever
    the number of request threads (granian's backpressure counts connections, not requests)."""
    base, _ = server
    host, port = base.removeprefix("http://").split(":")
    connections = [http.client.HTTPConnection(host, int(port), timeout=5) for _ in range(8)]
    try:
        for connection in connections:  # each opened and kept alive, as a browser keeps them
            connection.request("GET", "/healthz")
            connection.getresponse().read()
        for connection in connections:  # then used again, all at once
            connection.request("GET", "/healthz")
        assert [connection.getresponse().status for connection in connections] == [200] * 8
    finally:
        for connection in connections:
            connection.close()
