"""The tickets API: a user opens a ticket and follows it, staff answer, the owner rates it once
closed; internal notes stay staff's; anyone else gets 404 for a ticket, its replies and its rating."""

import uuid

import pytest

from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.support import tickets
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user(email="ke.hu@example.com")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, email="shen.ji@example.com")


def test_a_user_opens_a_ticket_and_gets_its_id(api, bearer, owner, register):
    verification_id = verify(key_query(register(type="32")), actor=owner).verification_id
    headers = bearer(owner)
    answer = api.post(
        "/tickets",
        {
            "subject": "查不到",
            "body": "为什么？",
            "category": "question",
            "verification_id": str(verification_id),
        },
        **headers,
    )
    assert answer.status_code == 201
    found = answer.json()
    assert uuid.UUID(found["id"]) and found["status"] == "open"
    assert found["verification_id"] == str(verification_id)
    assert [(m["author"], m["body"]) for m in found["messages"]] == [("owner", "为什么？")]
    listed = api.get("/tickets", **headers).json()["items"]
    assert [each["id"] for each in listed] == [found["id"]]


def test_bad_input_is_a_400(api, bearer, owner):
    headers = bearer(owner)
    answer = api.post("/tickets", {"subject": "x", "body": "y", "category": "praise"}, **headers)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "ticket_category"
    assert api.post("/tickets", {"subject": "", "body": "y", "category": "bug"}, **headers).status_code == 400
    assert api.get("/tickets?status=lost", **headers).status_code == 400


def test_staff_answer_the_owner_reads_it_without_the_note_and_rates_once_closed(api, bearer, owner, auditor):
    ticket = tickets.open_ticket(owner, "bug", "报错", "上传报错")
    tickets.add_note(ticket, auditor, "已知问题")
    mine, staff = bearer(owner), bearer(auditor)
    answered = api.post(f"/tickets/{ticket.public_id}/replies", {"body": "已修复"}, **staff)
    assert answered.status_code == 201 and answered.json()["status"] == "answered"
    assert [m["internal"] for m in answered.json()["messages"]] == [False, True, False]
    seen = api.get(f"/tickets/{ticket.public_id}", **mine).json()
    assert [(m["author"], m["body"]) for m in seen["messages"]] == [
        ("owner", "上传报错"),
        ("staff", "已修复"),
    ]
    early = api.post(f"/tickets/{ticket.public_id}/ratings", {"service": 5}, **mine)
    assert early.status_code == 409
    assert api.post(f"/tickets/{ticket.public_id}/close", **mine).json()["status"] == "closed"
    assert api.post(f"/tickets/{ticket.public_id}/replies", {"body": "x"}, **mine).status_code == 409
    assert api.post(f"/tickets/{ticket.public_id}/ratings", {"service": 6}, **mine).status_code == 400
    assert api.post(f"/tickets/{ticket.public_id}/ratings", {}, **mine).status_code == 400
    rated = api.post(
        f"/tickets/{ticket.public_id}/ratings", {"service": 5, "speed": 4, "comment": "好"}, **mine
    )
    assert rated.status_code == 201 and (rated.json()["service"], rated.json()["speed"]) == (5, 4)
    assert api.post(f"/tickets/{ticket.public_id}/ratings", {"service": 1}, **mine).status_code == 409
    assert api.get(f"/tickets/{ticket.public_id}", **staff).json()["rating"]["comment"] == "好"


def test_outsiders_get_404_for_a_ticket_its_replies_and_its_rating(api, bearer, owner, make_user):
    ticket = tickets.open_ticket(owner, "bug", "报错", "x")
    tickets.close(ticket, owner)
    stranger = bearer(make_user(email="lu.ren@example.com"))
    for answer in (
        api.get(f"/tickets/{ticket.public_id}", **stranger),
        api.post(f"/tickets/{ticket.public_id}/replies", {"body": "hi"}, **stranger),
        api.post(f"/tickets/{ticket.public_id}/ratings", {"service": 1}, **stranger),
        api.post(f"/tickets/{ticket.public_id}/reopen", **stranger),
        api.get(f"/tickets/{uuid.uuid4()}", **stranger),
    ):
        assert answer.status_code == 404
    assert api.get("/tickets", **stranger).json()["items"] == []
    assert api.get(f"/tickets/{ticket.public_id}").status_code == 401


def test_a_token_without_the_scope_is_refused(api, bearer, owner):
    assert api.get("/tickets", **bearer(owner, ["history:read"])).status_code == 403
