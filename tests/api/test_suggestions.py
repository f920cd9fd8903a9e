"""``/api/v1/suggestions``: signed-in callers propose, list (with votes and whether they voted),
read one with its comments, vote, take a vote back and comment; anyone else gets 401, an
unknown id 404."""

import uuid

import pytest

from yanpiao.security import audit
from yanpiao.support import suggestions
from yanpiao.support.models import Suggestion

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(make_user):
    return make_user(email="author@example.com")


@pytest.fixture
def voter(make_user):
    return make_user(email="voter@example.com")


@pytest.fixture
def idea(author):
    return suggestions.propose(author, "Dark mode", "Too bright at night.")


@pytest.fixture
def delete(client):
    def _delete(path, **headers):
        return client.delete(f"/api/v1{path}", **headers)

    return _delete


def test_a_user_proposes_a_suggestion_and_gets_201_with_its_id(api, bearer, author, audit_events):
    answer = api.post("/suggestions", {"title": "Export PDF", "body": "Please."}, **bearer(author))
    assert answer.status_code == 201
    found = answer.json()
    idea = Suggestion.objects.get(public_id=found["id"])
    assert (idea.title, idea.author) == ("Export PDF", author)
    assert (found["status"], found["votes"], found["voted"], found["mine"], found["comments"]) == (
        "new",
        0,
        False,
        True,
        [],
    )
    assert found["author"] == "author@example.com"  # oneself, in full
    assert audit.Action.SUGGESTION_CREATE in [event["action"] for event in audit_events]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "x" * 121, "body": "x"}, "title"),
        ({"title": "x", "body": "x" * 4001}, "body"),
        ({"title": "x"}, "body"),
    ],
)
def test_a_bad_proposal_is_a_400_naming_the_field(api, bearer, author, data, field):
    answer = api.post("/suggestions", data, **bearer(author))
    assert answer.status_code == 400 and field in str(answer.json()["error"]["fields"])
    assert not Suggestion.objects.exists()


def test_a_blank_title_is_a_400(api, bearer, author):
    answer = api.post("/suggestions", {"title": "   ", "body": "x"}, **bearer(author))
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "suggestion_title_empty"


def test_the_list_shows_every_suggestion_with_votes_and_whether_the_caller_voted(
    api, bearer, author, voter, idea
):
    later = suggestions.propose(author, "Later", "body")
    suggestions.vote(idea, voter)
    headers = bearer(voter)
    page = api.get("/suggestions?limit=1", **headers).json()
    assert [item["id"] for item in page["items"]] == [str(later.public_id)] and page["next_cursor"]
    rest = api.get(f"/suggestions?limit=1&cursor={page['next_cursor']}", **headers).json()
    [item] = rest["items"]
    assert (item["id"], item["votes"], item["voted"], item["mine"]) == (str(idea.public_id), 1, True, False)
    assert "author@example.com" not in item["author"] and rest["next_cursor"] is None


def test_the_list_filters_by_status_and_refuses_an_unknown_one(api, bearer, voter, idea):
    assert api.get("/suggestions?status=planned", **bearer(voter)).json()["items"] == []
    answer = api.get("/suggestions?status=accepted", **bearer(voter))
    assert answer.status_code == 400 and "status" in answer.json()["error"]["fields"]
    assert api.get("/suggestions?cursor=nonsense", **bearer(voter)).status_code == 400


def test_a_vote_counts_once_and_is_taken_back_with_delete(api, bearer, delete, voter, idea):
    headers = bearer(voter)
    assert api.post(f"/suggestions/{idea.public_id}/vote", **headers).json()["votes"] == 1
    again = api.post(f"/suggestions/{idea.public_id}/vote", **headers).json()
    assert (again["votes"], again["voted"]) == (1, True)
    back = delete(f"/suggestions/{idea.public_id}/vote", **headers).json()
    assert (back["votes"], back["voted"]) == (0, False)
    assert delete(f"/suggestions/{idea.public_id}/vote", **headers).json()["votes"] == 0


def test_a_comment_is_201_and_shown_with_the_suggestion(api, bearer, voter, idea):
    answer = api.post(f"/suggestions/{idea.public_id}/comments", {"body": "Agreed"}, **bearer(voter))
    assert answer.status_code == 201
    found = api.get(f"/suggestions/{idea.public_id}", **bearer(voter)).json()
    assert [(c["author"], c["body"]) for c in found["comments"]] == [("voter@example.com", "Agreed")]
    assert found["points"] == 0


def test_an_empty_comment_is_a_400(api, bearer, voter, idea):
    answer = api.post(f"/suggestions/{idea.public_id}/comments", {"body": ""}, **bearer(voter))
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", "/vote"), ("delete", "/vote"), ("post", "/comments")],
)
def test_an_unknown_suggestion_is_a_404(api, bearer, delete, voter, method, path):
    target = f"/suggestions/{uuid.uuid4()}{path}"
    headers = bearer(voter)
    if method == "get":
        answer = api.get(target, **headers)
    elif method == "delete":
        answer = delete(target, **headers)
    else:
        answer = api.post(target, {"body": "x"}, **headers)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/suggestions"),
        ("post", "/suggestions"),
        ("get", "/suggestions/{id}"),
        ("post", "/suggestions/{id}/vote"),
        ("delete", "/suggestions/{id}/vote"),
        ("post", "/suggestions/{id}/comments"),
    ],
)
def test_an_anonymous_caller_gets_401(api, delete, idea, method, path):
    path = path.format(id=idea.public_id)
    if method == "get":
        answer = api.get(path)
    elif method == "delete":
        answer = delete(path)
    else:
        answer = api.post(path, {"title": "x", "body": "x"})
    assert answer.status_code == 401
    assert Suggestion.objects.count() == 1


def test_a_proposal_with_a_nul_is_a_400_not_a_500(api, bearer, voter):
    answer = api.post("/suggestions", {"title": "a\x00b", "body": "x"}, **bearer(voter))
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "suggestion_title_control"
