"""The installable app: the web app manifest, its icons, the service worker and the offline page."""

import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from yanpiao.accounts.models import Role

pytestmark = pytest.mark.django_db

# Where results and personal data live: no service worker may keep them.
RESULT_PATHS = ("/verify", "/verifications", "/history", "/api", "/issuer", "/accounts", "/security")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def static_text(name: str) -> str:
    return Path(finders.find(name)).read_text(encoding="utf-8")


def worker_list(source: str, name: str) -> list[str]:
    """A list of paths declared in the worker's source (``var NAME = [...]``)."""
    return json.loads(re.search(rf"var {name} = (\[.*?\]);", source, re.DOTALL)[1])


def test_the_manifest_answers_at_the_path_the_layout_links(client):
    assert reverse("web:manifest") == "/manifest.webmanifest"
    assert 'href="/manifest.webmanifest"' in client.get("/").content.decode()
    page = client.get("/manifest.webmanifest")
    assert page.status_code == 200 and page["Content-Type"] == "application/manifest+json"
    manifest = json.loads(page.content)
    assert (manifest["name"], manifest["short_name"]) == ("验票 Yanpiao", "验票")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == "#b71c1c" and manifest["background_color"]
    assert [(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]] == [
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ]


def test_every_icon_of_the_manifest_is_a_png_of_its_declared_size(client):
    for icon in client.get("/manifest.webmanifest").json()["icons"]:
        answer = client.get(icon["src"])
        assert answer.status_code == 200 and answer["Content-Type"] == icon["type"] == "image/png"
        width, height = Image.open(io.BytesIO(body(answer))).size
        assert f"{width}x{height}" == icon["sizes"]


def test_the_service_worker_is_javascript_allowed_to_control_the_whole_site(client):
    assert reverse("web:service_worker") == "/sw.js"
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"] == "text/javascript"
    assert worker["Service-Worker-Allowed"] == "/" and worker["Cache-Control"] == "no-cache"
    assert body(worker).decode() == static_text("web/sw.js")


def test_the_service_worker_caches_the_shell_and_no_result(client):
    source = client.get("/sw.js").content.decode()
    shell = worker_list(source, "SHELL")
    assert reverse("web:offline") in shell and "/static/web/site.css" in shell
    assert not [path for path in shell if path.startswith(RESULT_PATHS)]
    assert set(RESULT_PATHS) <= set(worker_list(source, "PRIVATE"))
    for path in shell:  # the whole shell exists: installing the worker does not fail
        assert client.get(path).status_code == 200, path


def test_the_page_script_registers_the_worker_where_the_browser_has_one(client):
    assert "pwa.js" in client.get("/").content.decode()
    script = static_text("web/pwa.js")
    assert '"serviceWorker" in navigator' in script and 'register("/sw.js"' in script


def test_the_offline_page_is_in_the_layout(client):
    page = client.get("/offline/")
    html = page.content.decode()
    assert page.status_code == 200 and "data-offline" in html and 'class="site-header"' in html
    assert "当前离线" in html


@pytest.mark.parametrize("path", ["/manifest.webmanifest", "/sw.js", "/offline/"])
def test_the_app_files_only_answer_reads(client, path):
    assert client.post(path).status_code == 405


def test_staff_who_have_not_finished_two_factor_still_get_the_app_shell(client, make_user):
    """The shell is the same for everyone: the 2FA redirect does not apply to it."""
    client.force_login(make_user(Role.AUDITOR))
    for path in ("/manifest.webmanifest", "/sw.js", "/offline/"):
        assert client.get(path).status_code == 200, path
