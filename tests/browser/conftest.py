"""Fixtures of the browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

One chromium per test module, a new context (cookies, viewport, language) per test.  The
Playwright browser download does not work here, so the system's chromium is launched; without
it every browser test is skipped, for that one reason.  The site runs in a thread of this
process (``live_server``, a transactional database); its settings follow the ``settings``
fixture.  Playwright's sync API keeps an event loop running in this thread while it is started,
so Django is told that synchronous database access from it is fine (``DJANGO_ALLOW_ASYNC_UNSAFE``)
for as long as it runs; both end with the module, so the rest of the suite (``asyncio.run`` in
pyHanko, subprocesses that inherit the environment) never sees either.

Visitors are Chinese-speaking unless a test switches: contexts send ``Accept-Language: zh-CN``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.verification import services as verification
from yanpiao.verification.models import Channel

CHROMIUM = shutil.which("chromium")
AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")


def launch(driver, *args: str):
    """Debian's chromium, headless, with extra command-line ``args``."""
    return driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", *args])


@pytest.fixture(scope="module")
def playwright_driver():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian package chromium, which .ci/run installs)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as driver:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver):
    chromium = launch(playwright_driver)
    yield chromium
    chromium.close()


@pytest.fixture
def site(live_server, settings) -> str:
    """The live site's address; mail links point to it and mail leaves as it is queued."""
    settings.YANPIAO_SITE_URL = live_server.url
    settings.YANPIAO_DELIVERY = "inline"
    return live_server.url


def new_context(browser, site: str, viewport: str = "desktop", **options):
    """A context of a Chinese-speaking visitor (``Accept-Language: zh-CN``) on a ``viewport`` screen."""
    context = browser.new_context(base_url=site, viewport=VIEWPORTS[viewport], locale="zh-CN", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def open_context(browser, site):
    """``open_context(viewport="desktop"|"phone", browser=…, **options)``: a new context, closed after the test."""
    opened = []

    def _open(viewport: str = "desktop", browser=browser, **options):
        opened.append(new_context(browser, site, viewport, **options))
        return opened[-1]

    yield _open
    for context in opened:
        context.close()


@pytest.fixture
def context(open_context):
    return open_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def launch_chromium(playwright_driver):
    """``launch_chromium(*args)``: a chromium of the test's own with extra command-line arguments."""
    launched = []

    def _launch(*args: str):
        launched.append(launch(playwright_driver, *args))
        return launched[-1]

    yield _launch
    for chromium in launched:
        chromium.close()


@pytest.fixture
def sign_in(site):
    """``sign_in(context, user)``: the browser context gets a session of ``user``, as after logging in
    (for staff, past two-factor authentication with a confirmed authenticator)."""

    def _sign_in(context, user) -> None:
        client = Client()
        client.force_login(user)
        if user.needs_two_factor:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])

    return _sign_in


@dataclass
class Scene:
    """A registry with one invoice, a taxpayer who verified it, and an issuer of its seller."""

    invoice: object
    taxpayer: object
    issuer: object
    verification_id: str


@pytest.fixture
def scene(register, make_user) -> Scene:
    """Its users have no password (hashing one takes time): they are signed in by ``sign_in``."""
    invoice = register(factories.invoice("32"))
    taxpayer = make_user(email="taxpayer@example.com")
    seller = organisations.create_organisation(factories.SELLER.name, factories.SELLER.tax_id)
    issuer = make_user(Role.ISSUER, seller, email="issuer@example.com")
    result = verification.verify(factories.key_query(invoice), actor=taxpayer, channel=Channel.WEB)
    assert result.outcome == "authentic"
    return Scene(invoice, taxpayer, issuer, str(result.verification_id))


@pytest.fixture
def axe():
    """``axe(page)``: axe-core's violations of impact serious or critical on the page as it is now,
    and a description of them to print.

    axe is evaluated through the DevTools protocol, which the page's content security policy (no
    inline scripts) does not apply to.
    """
    source = AXE.read_text()

    def _axe(page) -> tuple[list[dict], str]:
        page.evaluate(source)
        violations = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary)}))"""
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        lines = []
        for violation in blocking:
            lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']})")
            lines += [f"    {node}" for node in violation["nodes"][:5]]
        return blocking, "\n".join(lines)

    return _axe


@pytest.fixture
def mailed_link(site, mailoutbox):
    """``mailed_link(to)``: the path of the last /accounts/… link mailed to ``to``."""

    def _mailed_link(to: str) -> str:
        bodies = [message.body for message in mailoutbox if to in message.to]
        assert bodies, f"no mail to {to}"
        return re.findall(re.escape(site) + r"(/accounts/\S+/)", bodies[-1])[-1]

    return _mailed_link
