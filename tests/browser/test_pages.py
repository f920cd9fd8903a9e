"""Every page fits a phone's width and has no serious accessibility problem (axe-core)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# name: (path, who is signed in: None, "taxpayer" or "issuer"); {verification} is the taxpayer's check.
PAGES = {
    "home": ("/", None),
    "scan": ("/scan/", None),
    "upload": ("/upload/", None),
    "history": ("/history/", "taxpayer"),
    "result": ("/verifications/{verification}/", "taxpayer"),
    "issuer": ("/issuer/", "issuer"),
    "issuer-form": ("/issuer/new/", "issuer"),
    "login": ("/accounts/login/", None),
    "signup": ("/accounts/signup/", None),
    "account": ("/accounts/me/", "taxpayer"),
    "not-found": ("/no-such-page/", None),
}


@pytest.fixture
def visit(open_context, sign_in, scene):
    """``visit(name, viewport="desktop"|"phone")``: a new page on that screen, signed in as the page needs, showing it."""

    def _visit(name: str, **options):
        path, who = PAGES[name]
        context = open_context(**options)
        if who:
            sign_in(context, getattr(scene, who))
        page = context.new_page()
        response = page.goto(path.format(verification=scene.verification_id))
        expected = 404 if name == "not-found" else 200
        assert response.status == expected, f"{name}: {path} answered {response.status}"
        if name == "not-found":
            assert page.locator('[data-error="404"]').count() == 1
        return page

    return _visit


@pytest.mark.parametrize("name", PAGES)
def test_the_page_fits_a_phone_without_scrolling_sideways(visit, name):
    page = visit(name, viewport="phone")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_serious_accessibility_violation(visit, axe, name):
    page = visit(name)
    violations, description = axe(page)
    assert not violations, f"{name}:\n{description}"
