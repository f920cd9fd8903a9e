"""The suggestion board's services: proposing, voting once, commenting, staff setting a status and
awarding points to accepted ideas, and the leaderboard of points."""

import threading

import pytest
from django.db import connection, connections

from yanpiao.access.visibility import NotVisible
from yanpiao.accounts.models import Role
from yanpiao.security import audit
from yanpiao.support import suggestions
from yanpiao.support.models import Comment, PointsAward, Suggestion, Vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(make_user):
    return make_user(email="author@example.com", display_name="张三")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, email="auditor@example.com")


@pytest.fixture
def idea(author):
    return suggestions.propose(author, "批量查验支持 OFD", "希望批量查验能直接上传 OFD 压缩包。")


def accepted(idea, auditor, status="planned"):
    return suggestions.set_status(idea, auditor, status)


# --- proposing -----------------------------------------------------------------------------------


def test_a_signed_in_user_proposes_a_suggestion_and_it_is_audited_without_its_text(author, audit_events):
    idea = suggestions.propose(author, "  夜间模式  ", "页面太亮了。")
    assert (idea.title, idea.status, idea.votes, idea.author) == ("夜间模式", "new", 0, author)
    [event] = [e for e in audit_events if e["action"] == audit.Action.SUGGESTION_CREATE]
    assert event["detail"] == {"suggestion": str(idea.public_id)}


@pytest.mark.parametrize(
    ("title", "body", "code"),
    [
        ("", "body", "title_empty"),
        ("  ", "body", "title_empty"),
        ("x" * 121, "body", "title_too_long"),
        ("title", "", "body_empty"),
        ("title", "x" * 4001, "body_too_long"),
        ("a\x00b", "body", "title_control"),  # PostgreSQL cannot store a NUL
        ("title", "line\x1b[31m", "body_control"),
    ],
)
def test_a_proposal_with_an_empty_or_too_long_title_or_body_is_refused(author, title, body, code):
    with pytest.raises(suggestions.Refused) as refused:
        suggestions.propose(author, title, body)
    assert refused.value.code == code
    assert not Suggestion.objects.exists()


def test_the_longest_title_and_body_are_accepted(author):
    idea = suggestions.propose(author, "题" * 120, "文" * 4000)
    assert len(idea.title) == 120 and len(idea.body) == 4000


def test_an_anonymous_visitor_proposes_nothing():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(suggestions.NotAllowed):
        suggestions.propose(AnonymousUser(), "title", "body")


# --- voting --------------------------------------------------------------------------------------


def test_a_vote_counts_once_and_taking_it_back_uncounts_it(idea, make_user):
    voter = make_user()
    assert suggestions.vote(idea, voter) is True
    assert suggestions.vote(idea, voter) is False
    assert Suggestion.objects.get(pk=idea.pk).votes == 1 == Vote.objects.count()
    assert suggestions.has_voted(voter, idea)
    assert suggestions.unvote(idea, voter) is True
    assert suggestions.unvote(idea, voter) is False
    assert Suggestion.objects.get(pk=idea.pk).votes == 0 == Vote.objects.count()
    assert not suggestions.has_voted(voter, idea)


def test_votes_of_several_users_add_up(idea, make_user):
    for _ in range(3):
        suggestions.vote(idea, make_user())
    assert idea.votes == 3


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_votes_count_two_and_a_concurrent_double_vote_counts_one(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is shared by threads; writers queue on a lock there")
    author, first, second = make_user(), make_user(), make_user()
    idea = suggestions.propose(author, "title", "body")
    barrier, errors = threading.Barrier(4), []

    def cast(user):
        try:
            barrier.wait(5)
            suggestions.vote(Suggestion.objects.get(pk=idea.pk), user)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=(user,)) for user in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert Suggestion.objects.get(pk=idea.pk).votes == 2 == Vote.objects.filter(suggestion=idea).count()


# --- comments ------------------------------------------------------------------------------------


def test_a_comment_is_kept_encrypted(idea, make_user):
    commenter = make_user()
    suggestions.comment(idea, commenter, "赞同，电话 13800138000 联系我")
    [stored] = suggestions.comments_of(idea)
    assert stored.body == "赞同，电话 13800138000 联系我" and stored.author == commenter
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT body FROM {Comment._meta.db_table}")
        raw = cursor.fetchone()[0]
    assert "13800138000" not in str(raw)


def test_an_empty_or_too_long_comment_is_refused(idea, author):
    for body, code in (("  ", "comment_empty"), ("x" * 2001, "comment_too_long")):
        with pytest.raises(suggestions.Refused) as refused:
            suggestions.comment(idea, author, body)
        assert refused.value.code == code


# --- staff ---------------------------------------------------------------------------------------


def test_staff_set_a_status_and_it_is_audited(idea, auditor, audit_events):
    suggestions.set_status(idea, auditor, "under_review")
    assert Suggestion.objects.get(pk=idea.pk).status == "under_review"
    [event] = [e for e in audit_events if e["action"] == audit.Action.SUGGESTION_STATUS]
    assert event["detail"] == {"suggestion": str(idea.public_id), "from": "new", "to": "under_review"}


def test_an_unknown_status_is_refused(idea, auditor):
    with pytest.raises(suggestions.Refused) as refused:
        suggestions.set_status(idea, auditor, "accepted")
    assert refused.value.code == "unknown_status"


@pytest.mark.parametrize("role", [Role.TAXPAYER, Role.ISSUER])
def test_only_staff_set_a_status_or_award_points(idea, make_user, author, role):
    someone = make_user(role)
    with pytest.raises(suggestions.NotAllowed):
        suggestions.set_status(idea, someone, "planned")
    with pytest.raises(suggestions.NotAllowed):
        suggestions.set_status(idea, author, "planned")
    Suggestion.objects.filter(pk=idea.pk).update(status="planned")
    with pytest.raises(suggestions.NotAllowed):
        suggestions.award(idea, someone, 10)
    assert not PointsAward.objects.exists()


@pytest.mark.parametrize("status", ["new", "under_review", "declined"])
def test_points_go_only_to_an_accepted_suggestion(idea, auditor, status):
    suggestions.set_status(idea, auditor, status)
    with pytest.raises(suggestions.Refused) as refused:
        suggestions.award(idea, auditor, 10)
    assert refused.value.code == "not_accepted"
    assert suggestions.points_of(idea.author) == 0


@pytest.mark.parametrize("status", ["planned", "done"])
def test_staff_award_points_to_the_author_of_an_accepted_suggestion_audited(
    idea, auditor, author, audit_events, status
):
    accepted(idea, auditor, status)
    awarded = suggestions.award(idea, auditor, 10)
    assert (awarded.user, awarded.points, awarded.awarded_by) == (author, 10, auditor)
    assert suggestions.points_of(author) == 10 == suggestions.points_awarded(idea)
    [event] = [e for e in audit_events if e["action"] == audit.Action.SUGGESTION_AWARD]
    assert event["detail"] == {"suggestion": str(idea.public_id), "user": author.pk, "points": 10}


@pytest.mark.parametrize("points", [0, -5, 1001, True, "10"])
def test_points_are_a_whole_number_from_1_to_1000(idea, auditor, points):
    accepted(idea, auditor)
    with pytest.raises(suggestions.Refused) as refused:
        suggestions.award(idea, auditor, points)
    assert refused.value.code == "points_invalid"


def test_staff_do_not_award_points_to_their_own_suggestion(auditor):
    own = suggestions.propose(auditor, "title", "body")
    accepted(own, auditor)
    with pytest.raises(suggestions.Refused) as refused:
        suggestions.award(own, auditor, 5)
    assert refused.value.code == "own_suggestion"


# --- the board and the leaderboard ---------------------------------------------------------------


def test_the_board_sorts_by_votes_or_newest_and_filters_by_status(idea, author, auditor, make_user):
    later = suggestions.propose(author, "later", "body")
    suggestions.vote(idea, make_user())
    accepted(later, auditor, "done")
    assert list(suggestions.listing(sort="votes")) == [idea, later]
    assert list(suggestions.listing(sort="newest")) == [later, idea]
    assert list(suggestions.listing(status="done")) == [later]
    assert suggestions.check_filters("done", "votes") == {}
    assert set(suggestions.check_filters("accepted", "oldest")) == {"status", "sort"}


def test_an_unknown_suggestion_is_not_visible():
    import uuid

    with pytest.raises(NotVisible):
        suggestions.find(uuid.uuid4())


def test_the_leaderboard_sums_points_per_author_and_masks_names(idea, author, auditor, make_user):
    other = make_user(email="other@example.com")
    second = suggestions.propose(author, "second", "body")
    third = suggestions.propose(other, "third", "body")
    for each in (idea, second, third):
        accepted(each, auditor)
    suggestions.award(idea, auditor, 10)
    suggestions.award(second, auditor, 5)
    suggestions.award(third, auditor, 7)
    viewer = make_user()
    board = suggestions.leaderboard(viewer)
    assert [(s.rank, s.user_id, s.points, s.suggestions) for s in board] == [
        (1, author.pk, 15, 2),
        (2, other.pk, 7, 1),
    ]
    names = [s.name for s in board]
    assert "张三" not in names and "other@example.com" not in names
    assert all("*" in name for name in names)
    assert suggestions.leaderboard(author)[0].name == "张三"  # oneself, in full


def test_an_author_without_points_is_on_the_leaderboard_with_none(idea, author, make_user):
    [standing] = suggestions.leaderboard(make_user())
    assert (standing.user_id, standing.points, standing.suggestions) == (author.pk, 0, 1)
