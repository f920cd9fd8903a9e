"""The suggestion board in the browser: one user proposes, another votes (the count rises without
a reload), staff plan the idea and award points, and the leaderboard shows the author's points
rise; every page fits a phone and has no serious accessibility problem."""

import pytest
from playwright.sync_api import expect

from yanpiao.accounts.models import Role
from yanpiao.support import suggestions
from yanpiao.support.models import Suggestion

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    "board": "/suggestions/",
    "suggestion": "/suggestions/{idea}/",
    "leaderboard": "/suggestions/leaderboard/",
}


@pytest.fixture
def people(make_user):
    return {
        "author": make_user(email="author@example.com"),
        "voter": make_user(email="voter@example.com"),
        "admin": make_user(Role.ADMIN, email="admin@example.com", display_name="管理员甲"),
    }


@pytest.fixture
def page_of(open_context, sign_in, people):
    def _open(who: str, viewport: str = "desktop"):
        context = open_context(viewport)
        sign_in(context, people[who])
        return context.new_page()

    return _open


def points_row(page, user):
    return page.locator(f'[data-table="leaderboard"] tr[data-user="{user.pk}"]')


def test_a_suggestion_is_voted_accepted_and_its_author_earns_points(page_of, people):
    author = page_of("author", "phone")
    author.goto("/suggestions/")
    author.locator('[data-form="propose"] input[name="title"]').fill("支持 OFD 压缩包批量查验")
    author.locator('[data-form="propose"] textarea[name="body"]').fill(
        "希望批量查验能直接上传 OFD 文件的压缩包。"
    )
    author.locator('[data-action="propose"]').click()
    expect(author.locator("article[data-suggestion]")).to_have_attribute("data-status", "new")
    idea = Suggestion.objects.get()
    author.goto("/suggestions/leaderboard/")
    expect(points_row(author, people["author"])).to_have_attribute("data-points", "0")

    voter = page_of("voter")
    voter.goto("/suggestions/")
    toggle = voter.locator(f'form[data-vote="{idea.public_id}"]')
    expect(toggle).to_have_attribute("data-votes", "0")
    voter.evaluate("window.notReloaded = true")
    toggle.locator('[data-action="vote"]').click()
    expect(voter.locator(f'form[data-vote="{idea.public_id}"]')).to_have_attribute("data-votes", "1")
    expect(voter.locator(f'form[data-vote="{idea.public_id}"] [data-action="vote"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    assert voter.evaluate("window.notReloaded === true"), "the vote reloaded the page"
    assert Suggestion.objects.get(pk=idea.pk).votes == 1

    admin = page_of("admin")
    admin.goto(f"/suggestions/{idea.public_id}/")
    admin.locator('[data-form="status"] select[name="status"]').select_option("planned")
    admin.locator('[data-step="status"]').click()
    expect(admin.locator("article[data-suggestion]")).to_have_attribute("data-status", "planned")
    admin.locator('[data-form="award"] input[name="points"]').fill("10")
    admin.locator('[data-step="award"]').click()
    expect(admin.locator("[data-points-awarded]")).to_have_attribute("data-points-awarded", "10")

    author.goto("/suggestions/leaderboard/")
    expect(points_row(author, people["author"])).to_have_attribute("data-points", "10")
    assert suggestions.points_of(people["author"]) == 10


def test_the_vote_toggle_works_without_javascript(open_context, sign_in, people):
    idea = suggestions.propose(people["author"], "夜间模式", "页面太亮。")
    context = open_context(java_script_enabled=False)
    sign_in(context, people["voter"])
    page = context.new_page()
    page.goto("/suggestions/")
    page.locator(f'form[data-vote="{idea.public_id}"] [data-action="vote"]').click()
    expect(page.locator(f'form[data-vote="{idea.public_id}"]')).to_have_attribute("data-votes", "1")
    expect(page).to_have_url(f"{page.url.split('/suggestions/')[0]}/suggestions/")


@pytest.fixture
def idea(people):
    found = suggestions.propose(people["author"], "夜间模式", "页面太亮了，希望有深色主题。")
    suggestions.vote(found, people["voter"])
    suggestions.comment(found, people["voter"], "赞同")
    suggestions.set_status(found, people["admin"], "done")
    suggestions.award(found, people["admin"], 5)
    return found


def visit(page, name: str, idea) -> None:
    response = page.goto(PAGES[name].format(idea=idea.public_id))
    assert response.status == 200, f"{name} answered {response.status}"


@pytest.mark.parametrize("who", ["voter", "admin"])
@pytest.mark.parametrize("name", PAGES)
def test_the_suggestion_page_fits_a_phone_without_scrolling_sideways(page_of, idea, name, who):
    page = page_of(who, "phone")
    visit(page, name, idea)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.parametrize("who", ["voter", "admin"])
@pytest.mark.parametrize("name", PAGES)
def test_the_suggestion_page_has_no_serious_accessibility_violation(page_of, idea, axe, name, who):
    page = page_of(who)
    visit(page, name, idea)
    violations, description = axe(page)
    assert not violations, f"{name}:\n{description}"
