"""Tickets in the browser: a user opens a ticket, staff answer it in another browser, the user's
page shows the answer without reloading, staff close it and the user rates the service; every
ticket page fits a phone and has no serious accessibility problem."""

import pytest
from playwright.sync_api import expect

from yanpiao.accounts.models import Role
from yanpiao.support import tickets
from yanpiao.support.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {"list": "/tickets/", "new": "/tickets/new/", "ticket": "/tickets/{ticket}/"}


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, email="auditor@example.com", display_name="客服小沈")


@pytest.fixture
def user_page(open_context, sign_in, scene):
    def _open(viewport: str = "desktop"):
        context = open_context(viewport)
        sign_in(context, scene.taxpayer)
        return context.new_page()

    return _open


@pytest.fixture
def staff_page(open_context, sign_in, auditor):
    context = open_context()
    sign_in(context, auditor)
    return context.new_page()


def test_a_user_opens_a_ticket_staff_answer_and_the_user_sees_it_without_reloading_then_rates(
    user_page, staff_page, scene
):
    page = user_page()
    page.goto(f"/tickets/new/?verification={scene.verification_id}")
    expect(page.locator(f'[data-linked="{scene.verification_id}"]')).to_have_count(1)
    page.locator('select[name="category"]').select_option("question")
    page.locator('input[name="subject"]').fill("查验结果看不懂")
    page.locator('textarea[name="body"]').fill("“查无此票”是什么意思？")
    page.locator('[data-action="submit-ticket"]').click()
    expect(page.locator('[data-author-role="owner"]')).to_have_count(1)
    ticket = Ticket.objects.get()
    assert str(ticket.verification.public_id) == scene.verification_id
    page.evaluate("window.notReloaded = true")

    staff_page.goto("/tickets/")
    staff_page.locator(f'[data-ticket="{ticket.public_id}"] [data-action="open"]').click()
    staff_page.locator('[data-form="reply"] textarea').fill("请核对发票代码后再查一次。")
    staff_page.locator('[data-step="reply"]').click()
    expect(staff_page.locator('[data-author-role="staff"]')).to_have_count(1)

    expect(page.locator('[data-author-role="staff"]')).to_contain_text("请核对发票代码", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True

    staff_page.locator('[data-step="close"]').click()
    expect(staff_page.locator("article[data-ticket]")).to_have_attribute("data-status", "closed")

    page.reload()
    page.locator("#rate-ticket-service-5").check()
    page.locator("#rate-ticket-speed-4").check()
    page.locator('[data-form="rate"] textarea').fill("很快")
    page.locator('[data-step="rate"]').click()
    expect(page.locator("[data-rated]")).to_have_count(1)
    rating = Ticket.objects.get().rating
    assert (rating.service, rating.speed, rating.comment) == (5, 4, "很快")


@pytest.fixture
def ticket(scene, auditor):
    found = tickets.open_ticket(scene.taxpayer, "bug", "上传失败", "一直转圈")
    tickets.reply(found, auditor, "我们看一下。")
    return found


def visit(page, name: str, ticket) -> None:
    response = page.goto(PAGES[name].format(ticket=ticket.public_id))
    assert response.status == 200, f"{name} answered {response.status}"


@pytest.mark.parametrize("name", PAGES)
def test_the_ticket_pages_fit_a_phone_without_scrolling_sideways(user_page, ticket, name):
    page = user_page("phone")
    visit(page, name, ticket)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("name", PAGES)
def test_the_ticket_pages_have_no_serious_accessibility_violation(user_page, ticket, axe, name):
    page = user_page()
    visit(page, name, ticket)
    violations, description = axe(page)
    assert not violations, f"{name}:\n{description}"


def test_the_staff_queue_has_no_serious_accessibility_violation_and_fits_a_phone(
    open_context, sign_in, auditor, ticket, axe
):
    context = open_context("phone")
    sign_in(context, auditor)
    page = context.new_page()
    for url in ("/tickets/", f"/tickets/{ticket.public_id}/"):
        page.goto(url)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{url} is {widths[0]} px wide"
        violations, description = axe(page)
        assert not violations, f"{url}:\n{description}"
