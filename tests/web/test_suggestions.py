"""The suggestion board's pages: the board with its votes, filters and the form to propose, one
suggestion with its comments and the staff's status and points, and the leaderboard."""

import re
import uuid

import pytest

from yanpiao.accounts.models import Role
from yanpiao.security import audit
from yanpiao.support import suggestions
from yanpiao.support.models import Comment, PointsAward, Suggestion

pytestmark = pytest.mark.django_db

PAGES = ("/suggestions/", "/suggestions/leaderboard/")


def rows(html: str) -> dict[str, str]:
    """The board's suggestions: public id → status."""
    return dict(re.findall(r'data-suggestion="([0-9a-f-]+)" data-status="(\w+)"', html))


def votes(html: str, idea) -> tuple[str, str]:
    """The vote toggle of ``idea``: its count and whether the viewer voted."""
    found = re.search(rf'data-vote="{idea.public_id}" data-votes="(\d+)" data-voted="(\w+)"', html)
    return found.groups()


@pytest.fixture
def author(make_user):
    return make_user(email="author@example.com")


@pytest.fixture
def idea(author):
    return suggestions.propose(author, "Dark mode", "The pages are too bright at night.")


@pytest.fixture
def auditor(login, make_user):
    return login(make_user(Role.AUDITOR, display_name="Auditor A"))


# --- who may see them ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "suggestion"])
def test_a_visitor_is_sent_to_log_in(client, idea, path):
    path = f"/suggestions/{idea.public_id}/" if path == "suggestion" else path
    answer = client.get(path)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


@pytest.mark.parametrize("role", [Role.TAXPAYER, Role.ISSUER])
def test_every_signed_in_user_sees_every_suggestion_with_its_votes(login, make_user, idea, role):
    suggestions.vote(idea, make_user())
    html = login(make_user(role)).get("/suggestions/").content.decode()
    assert rows(html) == {str(idea.public_id): "new"}
    assert votes(html, idea) == ("1", "false")
    assert 'data-nav="suggestions"' in html


def test_an_unknown_suggestion_is_a_404(login, make_user):
    assert login(make_user()).get(f"/suggestions/{uuid.uuid4()}/").status_code == 404


# --- proposing -----------------------------------------------------------------------------------


def test_a_user_proposes_a_suggestion_from_the_board(login, make_user):
    user = make_user()
    answer = login(user).post("/suggestions/", {"title": "Export to PDF", "body": "Please."})
    idea = Suggestion.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/suggestions/{idea.public_id}/"
    assert (idea.title, idea.author) == ("Export to PDF", user)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "x" * 121, "body": "x"}, "title"),
        ({"title": "x", "body": "x" * 4001}, "body"),
    ],
)
def test_a_bad_proposal_is_a_400_with_the_error_beside_its_field(login, make_user, data, field):
    answer = login(make_user()).post("/suggestions/", data)
    assert answer.status_code == 400 and f'data-error-for="{field}"' in answer.content.decode()
    assert not Suggestion.objects.exists()


# --- voting --------------------------------------------------------------------------------------


def test_the_vote_toggle_works_as_a_plain_form_and_goes_back(login, make_user, idea):
    client = login(make_user())
    answer = client.post(f"/suggestions/{idea.public_id}/vote/", {"vote": "add", "next": "/suggestions/"})
    assert answer.status_code == 302 and answer["Location"] == "/suggestions/"
    assert votes(client.get("/suggestions/").content.decode(), idea) == ("1", "true")
    client.post(f"/suggestions/{idea.public_id}/vote/", {"vote": "add"})  # twice: still one
    assert Suggestion.objects.get(pk=idea.pk).votes == 1
    client.post(f"/suggestions/{idea.public_id}/vote/", {"vote": "remove"})
    assert votes(client.get("/suggestions/").content.decode(), idea) == ("0", "false")


def test_the_vote_toggle_answers_htmx_with_itself_and_the_new_count(login, make_user, idea):
    answer = login(make_user()).post(
        f"/suggestions/{idea.public_id}/vote/", {"vote": "add"}, headers={"HX-Request": "true"}
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    assert votes(html, idea) == ("1", "true") and 'aria-pressed="true"' in html


def test_a_vote_that_is_neither_add_nor_remove_is_a_400(login, make_user, idea):
    assert login(make_user()).post(f"/suggestions/{idea.public_id}/vote/", {"vote": "x"}).status_code == 400


def test_an_off_site_next_is_not_followed(login, make_user, idea):
    answer = login(make_user()).post(
        f"/suggestions/{idea.public_id}/vote/", {"vote": "add", "next": "https://evil.example/"}
    )
    assert answer["Location"] == f"/suggestions/{idea.public_id}/"


# --- the board's filters and sort ----------------------------------------------------------------


def test_the_board_filters_by_status_and_sorts_by_votes_or_newest(login, make_user, author, idea):
    later = suggestions.propose(author, "Later", "body")
    suggestions.vote(idea, make_user())
    client = login(make_user())
    assert list(rows(client.get("/suggestions/").content.decode())) == [
        str(idea.public_id),
        str(later.public_id),
    ]
    newest = client.get("/suggestions/?sort=newest").content.decode()
    assert list(rows(newest)) == [str(later.public_id), str(idea.public_id)]
    Suggestion.objects.filter(pk=later.pk).update(status="planned")
    assert rows(client.get("/suggestions/?status=planned").content.decode()) == {
        str(later.public_id): "planned"
    }


def test_a_bad_filter_is_a_400(login, make_user):
    answer = login(make_user()).get("/suggestions/?status=accepted")
    assert answer.status_code == 400 and 'data-error="filters"' in answer.content.decode()


# --- one suggestion ------------------------------------------------------------------------------


def test_a_user_comments_and_the_author_is_shown_masked_to_others(login, make_user, idea):
    commenter = make_user(email="commenter@example.com")
    client = login(commenter)
    answer = client.post(f"/suggestions/{idea.public_id}/comments/", {"body": "Yes please"})
    assert answer.status_code == 302
    assert Comment.objects.get().body == "Yes please"
    html = client.get(f"/suggestions/{idea.public_id}/").content.decode()
    assert "Yes please" in html and "author@example.com" not in html
    assert "commenter@example.com" in html  # oneself, in full
    assert "Auditor" not in html and 'data-form="status"' not in html and 'data-form="award"' not in html


def test_an_empty_comment_is_a_400(login, make_user, idea):
    answer = login(make_user()).post(f"/suggestions/{idea.public_id}/comments/", {"body": " "})
    assert answer.status_code == 400 and 'data-error-for="body"' in answer.content.decode()


@pytest.mark.parametrize("role", [Role.TAXPAYER, Role.ISSUER])
def test_only_staff_set_a_status_or_award_points(login, make_user, idea, role):
    client = login(make_user(role))
    assert client.post(f"/suggestions/{idea.public_id}/status/", {"status": "planned"}).status_code == 404
    Suggestion.objects.filter(pk=idea.pk).update(status="planned")
    assert client.post(f"/suggestions/{idea.public_id}/award/", {"points": "10"}).status_code == 404
    assert not PointsAward.objects.exists()


def test_staff_accept_a_suggestion_and_award_points_audited(auditor, idea, author, audit_events):
    page = auditor.get(f"/suggestions/{idea.public_id}/").content.decode()
    assert 'data-form="status"' in page and 'data-award="not-accepted"' in page
    assert auditor.post(f"/suggestions/{idea.public_id}/status/", {"status": "planned"}).status_code == 302
    page = auditor.get(f"/suggestions/{idea.public_id}/").content.decode()
    assert 'data-status="planned"' in page and 'data-form="award"' in page
    assert auditor.post(f"/suggestions/{idea.public_id}/award/", {"points": "10"}).status_code == 302
    assert suggestions.points_of(author) == 10
    assert 'data-points-awarded="10"' in auditor.get(f"/suggestions/{idea.public_id}/").content.decode()
    actions = [event["action"] for event in audit_events]
    assert audit.Action.SUGGESTION_STATUS in actions and audit.Action.SUGGESTION_AWARD in actions


@pytest.mark.parametrize("points", ["0", "-1", "1001", "ten"])
def test_bad_points_are_a_400_beside_the_field(auditor, idea, points):
    Suggestion.objects.filter(pk=idea.pk).update(status="done")
    answer = auditor.post(f"/suggestions/{idea.public_id}/award/", {"points": points})
    assert answer.status_code == 400 and 'data-error-for="points"' in answer.content.decode()


def test_points_for_a_suggestion_not_accepted_are_refused_with_a_reason(auditor, idea):
    answer = auditor.post(f"/suggestions/{idea.public_id}/award/", {"points": "10"})
    assert answer.status_code == 400 and "只有已计划或已完成的建议可以奖励积分" in answer.content.decode()
    assert not PointsAward.objects.exists()


def test_an_unknown_status_is_a_400(auditor, idea):
    assert auditor.post(f"/suggestions/{idea.public_id}/status/", {"status": "accepted"}).status_code == 400


# --- the leaderboard -----------------------------------------------------------------------------


def test_the_leaderboard_shows_points_per_author_masked(login, make_user, idea, author):
    staff = make_user(Role.ADMIN)
    suggestions.set_status(idea, staff, "done")
    suggestions.award(idea, staff, 10)
    html = login(make_user()).get("/suggestions/leaderboard/").content.decode()
    assert f'data-user="{author.pk}" data-points="10"' in html
    assert "author@example.com" not in html


# --- in English ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "suggestion"])
def test_the_suggestion_pages_read_in_english(auditor, idea, path):
    from tests.web.test_views import visible_text

    suggestions.comment(idea, idea.author, "Agreed")
    path = f"/suggestions/{idea.public_id}/" if path == "suggestion" else path
    auditor.cookies["django_language"] = "en"
    text = visible_text(auditor.get(path, headers={"Accept-Language": "en"}).content.decode())
    chinese = re.findall(r"[\u4e00-\u9fff]+", text.replace("验票", "").replace("中文", ""))
    assert chinese == [], chinese
