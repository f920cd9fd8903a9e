"""Screenshots of the site for docs/screenshots/, taken by chromium on a demo registry.

Run it with a home of its own (it fills that home with demo data)::

    YANPIAO_HOME=/tmp/yp-shots .venv/bin/python -m tests.browser.screenshots

What it does:

1. ``yanpiao demo --invoices 3000 --if-empty``: migrates the home, registers demo invoices and
   creates the demo accounts (a second run reuses them);
2. records, through the verification service, one check of each outcome (authentic, mismatch,
   not_found, voided, red_flushed, abnormal, tampered, invalid) by a demo taxpayer; the tampered
   one is a PDF of a demo invoice with one printed field changed and its QR code left alone;
3. serves the site with ``yanpiao serve`` on a free port (stopped at the end);
4. has chromium (Debian's, ``/usr/bin/chromium``) photograph the whole page, in Chinese and in
   English, on a desktop (1280×900) and a phone (390×844) screen: the home page, the result page
   of each outcome, the scan page, the history (as the taxpayer) and the issuer's invoice list (as
   a demo issuer), signed in by a session made here.

Files are written to docs/screenshots/ as ``<page>-<zh|en>-<desktop|phone>.png``, e.g.
``home-zh-desktop.png``, ``result-tampered-en-phone.png``.  Nothing else is changed; the PNGs are
not committed by this script.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.loopback import free_port

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_INVOICES = 3000
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# file name part: (the site's language code, the browser's locale)
LANGUAGES = {"zh": ("zh-hans", "zh-CN"), "en": ("en", "en-US")}
OUTCOMES = ("authentic", "mismatch", "not_found", "voided", "red_flushed", "abnormal", "tampered", "invalid")
# The tampered copy changes one of these printed fields (the first seed that does), as a forger would.
TELLING_FIELDS = frozenset({"buyer.name", "buyer.tax_id", "seller.name"})
TAMPER_SEEDS = range(50)
START_SECONDS = 60


@dataclass
class Scene:
    """Who is photographed and what: the taxpayer's check of each outcome, an issuer."""

    taxpayer: object
    issuer: object
    checks: dict[str, str]  # outcome: verification id


def fill_demo_registry() -> None:
    """Migrate the home and fill it with demo invoices and accounts (once); sets Django up here."""
    from yanpiao import cli

    status = cli.main(["demo", "--invoices", str(DEMO_INVOICES), "--if-empty"])
    if status:
        raise SystemExit(f"yanpiao demo failed ({status})")


def registered(status: str, digital: bool = False):
    """A recent registered demo invoice (a fapiao Invoice) with ``status``; 数电 if ``digital``."""
    from yanpiao.fapiao.invoice import InvoiceKey
    from yanpiao.registry import lookup
    from yanpiao.registry import services as registry
    from yanpiao.registry.models import Invoice

    recent = registry.today() - datetime.timedelta(days=365)
    rows = Invoice.objects.filter(status=status, issue_date__gte=recent, red_letter_of=None)
    if digital:
        rows = rows.filter(code="")
    row = rows.order_by("id").first()
    if row is None:
        raise SystemExit(f"the demo registry holds no recent {status} invoice: use a larger --invoices")
    return lookup.find(InvoiceKey(row.code, row.number)).invoice


def record_checks(taxpayer) -> dict[str, str]:
    """One verification of each outcome by ``taxpayer``, through the verification service."""
    from tests import factories
    from tests.support.tamper import tamper
    from yanpiao.documents.pdf import render_pdf
    from yanpiao.fapiao import qr
    from yanpiao.fapiao.compare import Query
    from yanpiao.verification import services as verification
    from yanpiao.verification.models import Channel

    normal = registered("normal", digital=True)
    queries = {
        "authentic": factories.key_query(normal),
        "mismatch": factories.key_query(normal, total="1.00"),
        "not_found": factories.key_query(normal, number=normal.number[:-6] + "999999"),
        "voided": factories.key_query(registered("voided")),
        "red_flushed": factories.key_query(registered("red_flushed")),
        "abnormal": factories.key_query(registered("abnormal")),
        "invalid": Query.from_fields(number="12345", issue_date="2025-02-30", total="12,5"),
    }
    results = {o: verification.verify(q, actor=taxpayer, channel=Channel.WEB) for o, q in queries.items()}
    forged = next(
        copy for copy, field in (tamper(normal, seed) for seed in TAMPER_SEEDS) if field in TELLING_FIELDS
    )
    document = render_pdf(forged, qr_payload=qr.of_invoice(normal))
    [results["tampered"]] = verification.verify_document(document, actor=taxpayer).results
    wrong = {o: r.outcome for o, r in results.items() if r.outcome != o}
    if wrong:
        raise SystemExit(f"checks meant to be one outcome came out another: {wrong}")
    return {outcome: str(result.verification_id) for outcome, result in results.items()}


def prepare() -> Scene:
    from yanpiao.accounts.models import Role, User

    taxpayer = User.objects.filter(role=Role.TAXPAYER).order_by("id").first()
    issuer = User.objects.filter(role=Role.ISSUER).exclude(organisation=None).order_by("id").first()
    if taxpayer is None or issuer is None:
        raise SystemExit("the demo accounts are missing: run yanpiao demo --users 10 on this home")
    return Scene(taxpayer, issuer, record_checks(taxpayer))


@contextlib.contextmanager
def serving():
    """``yanpiao serve`` on a free port of this home, until the block ends; yields its address."""
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(site + "/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("yanpiao serve did not start") from None
                time.sleep(0.3)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)


def session_cookie(user, site: str) -> dict:
    """A session of ``user`` (stored in the home's database, which the server reads) as a cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": site,
    }


def pages(scene: Scene) -> list[tuple[str, str, object]]:
    """(file name stem, path, who is signed in) of every screenshot."""
    shots = [("home", "/", scene.taxpayer)]
    shots += [(f"result-{o}", f"/verifications/{scene.checks[o]}/", scene.taxpayer) for o in OUTCOMES]
    shots += [("scan", "/scan/", scene.taxpayer), ("history", "/history/", scene.taxpayer)]
    shots.append(("issuer", "/issuer/", scene.issuer))
    return shots


def photograph(browser, site: str, scene: Scene) -> list[Path]:
    """Every page of :func:`pages` in each language on each screen; a page that is not there stops it."""
    from django.conf import settings

    written = []
    cookies = {user.pk: session_cookie(user, site) for user in (scene.taxpayer, scene.issuer)}
    for short, (code, locale) in LANGUAGES.items():
        language = {"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": site}
        for screen, viewport in VIEWPORTS.items():
            for user in (scene.taxpayer, scene.issuer):
                context = browser.new_context(base_url=site, viewport=viewport, locale=locale)
                context.add_cookies([cookies[user.pk], language])
                page = context.new_page()
                for stem, path, who in pages(scene):
                    if who is not user:
                        continue
                    response = page.goto(path)
                    if response.status != 200:
                        raise SystemExit(f"{path} answered {response.status}")
                    target = OUT / f"{stem}-{short}-{screen}.png"
                    page.screenshot(path=target, full_page=True)
                    written.append(target)
                context.close()
    return written


def main() -> int:
    if not os.environ.get("YANPIAO_HOME"):
        print("set YANPIAO_HOME to a home of its own (demo data is written there)", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (Debian package chromium)", file=sys.stderr)
        return 2
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's event loop runs in this thread
    # Every run checks the same invoices again: no per-invoice limit for this home's checks.
    os.environ.setdefault("YANPIAO_CHECKS_PER_INVOICE_PER_DAY", "0")
    fill_demo_registry()
    scene = prepare()
    OUT.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with serving() as site, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            written = photograph(browser, site, scene)
        finally:
            browser.close()
    print(f"{len(written)} screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
