"""``yanpiao serve`` runs granian on a fresh home and answers over HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    yield base, process
    process.terminate()
    process.wait(timeout=10)


def test_serves_the_home_page_and_healthz(server):
    base, _ = server
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert json.load(response) == {"status": "ok", "database": "ok"}
    with urllib.request.urlopen(base + "/", timeout=5) as response:
        html = response.read().decode()
    assert "验票 Yanpiao" in html and 'name="number"' in html


def test_prints_its_url(server):
    base, process = server
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert f"serving at {base}/" in output
