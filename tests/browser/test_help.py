"""The help pages in a browser: search on a 360-pixel phone, open a result, read it in English;
no sideways scrolling and no serious accessibility violation."""

import pytest

from yanpiao.accounts.models import Role
from yanpiao.support import help

pytestmark = pytest.mark.django_db(transaction=True)

CJK_IN = "(element) => /[\\u3400-\\u9fff]/.test(element.innerText)"


@pytest.fixture
def pages():
    """The initial pages (a transactional test starts from an emptied database)."""
    help.seed()


def fits(page) -> bool:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return scroll <= inner


def test_a_phone_user_searches_opens_a_result_and_reads_it_in_english(open_context, pages, axe):
    page = open_context("phone").new_page()
    page.goto("/help/")
    assert fits(page)
    page.get_by_role("searchbox").fill("价税合计")
    page.locator('[data-form="help-search"] button[type="submit"]').click()
    first = page.locator("[data-help-result]").first
    first.wait_for()
    assert page.locator("[data-help-result] mark").count() > 0
    assert fits(page)
    blocking, report = axe(page)
    assert not blocking, report

    slug = first.get_attribute("data-help-result")
    first.locator("a").click()
    article = page.locator(f'[data-help-article="{slug}"]')
    article.wait_for()
    assert "价税合计" in article.inner_text()
    assert fits(page)

    page.locator('[data-language="en"]').click()
    page.locator("html[lang=en]").wait_for(state="attached")
    assert page.url.endswith(f"/help/{slug}/")
    assert not article.evaluate(CJK_IN), article.inner_text()
    assert fits(page)
    blocking, report = axe(page)
    assert not blocking, report


def test_a_search_that_finds_nothing_points_to_the_contact_page(open_context, pages, axe):
    page = open_context("phone").new_page()
    page.goto("/help/?q=nosuchwordanywhere")
    page.locator("[data-help-empty]").wait_for()
    page.locator('[data-help-more] [data-action="contact"]').click()
    page.locator('[data-contact="hotline"]').wait_for()
    assert page.locator('[data-contact="hotline"]').get_attribute("href") == "tel:12366"
    assert fits(page)
    blocking, report = axe(page)
    assert not blocking, report


def test_the_edit_form_of_a_page_has_no_serious_accessibility_violation(
    open_context, sign_in, pages, axe, make_user
):
    context = open_context("phone")
    sign_in(context, make_user(Role.ADMIN))
    page = context.new_page()
    page.goto("/help/privacy/edit/")
    page.locator('[data-form="help-page"]').wait_for()
    assert fits(page)
    blocking, report = axe(page)
    assert not blocking, report
