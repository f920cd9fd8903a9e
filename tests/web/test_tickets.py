"""The ticket pages: a user opens a ticket (about a check of theirs) and follows the conversation;
staff work the queue; the owner never sees internal notes; outsiders get 404 everywhere; a bad
attachment is refused with a clear message."""

import datetime
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.support import tickets
from yanpiao.support.models import Ticket
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 60


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def owner(make_user):
    return make_user(email="ke.hu@example.com")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, email="shen.ji@example.com", display_name="客服小沈")


@pytest.fixture
def ticket(owner):
    return tickets.open_ticket(
        owner, "question", "查不到发票", "为什么查不到？", uploads=[tickets.Upload("v.webm", WEBM)]
    )


def test_a_user_opens_a_ticket_with_a_screenshot_and_lands_on_it(login, owner):
    client = login(owner)
    page = client.get("/tickets/new/")
    assert page.status_code == 200 and "data-voice" in page.content.decode()
    answer = client.post(
        "/tickets/new/",
        {
            "category": "bug",
            "subject": "上传失败",
            "body": "一直转圈",
            "files": [SimpleUploadedFile("s.png", png(), "image/png")],
        },
    )
    ticket = Ticket.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/tickets/{ticket.public_id}/"
    page = client.get(answer["Location"]).content.decode()
    assert "上传失败" in page and "一直转圈" in page and 'data-author-role="owner"' in page
    assert ticket.messages.get().attachments.get().content_type == "image/png"


def test_a_ticket_opened_from_a_result_names_the_check(login, owner, register):
    verification_id = verify(key_query(register(type="32")), actor=owner).verification_id
    client = login(owner)
    page = client.get(f"/tickets/new/?verification={verification_id}").content.decode()
    assert f'data-linked="{verification_id}"' in page
    client.post(
        "/tickets/new/",
        {"category": "complaint", "subject": "结果不对", "body": "x", "verification": str(verification_id)},
    )
    assert Ticket.objects.get().verification.public_id == verification_id


def test_a_file_that_is_not_an_image_or_voice_note_is_refused_clearly(login, owner):
    client = login(owner)
    answer = client.post(
        "/tickets/new/",
        {
            "category": "bug",
            "subject": "x",
            "body": "y",
            "files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00")],
        },
    )
    assert answer.status_code == 400
    assert "附件只能是图片" in answer.content.decode()
    assert not Ticket.objects.exists()


def test_too_many_files_are_refused(login, owner, ticket):
    client = login(owner)
    files = [SimpleUploadedFile(f"{n}.png", png(), "image/png") for n in range(4)]
    answer = client.post(f"/tickets/{ticket.public_id}/reply/", {"body": "more", "files": files})
    assert answer.status_code == 400
    assert "最多附 3 个文件" in answer.content.decode()


def test_staff_answer_and_the_owner_sees_it_in_the_polled_fragment_but_never_the_note(
    login, owner, auditor, ticket
):
    staff = login(auditor)
    staff.post(f"/tickets/{ticket.public_id}/note/", {"note": "老用户，优先处理"})
    staff.post(f"/tickets/{ticket.public_id}/reply/", {"body": "请提供发票代码"})
    assert Ticket.objects.get(pk=ticket.pk).status == "answered"
    staff_view = staff.get(f"/tickets/{ticket.public_id}/messages/").content.decode()
    assert "老用户，优先处理" in staff_view and "data-internal" in staff_view
    owner_client = Client()
    owner_client.force_login(owner)
    fragment = owner_client.get(f"/tickets/{ticket.public_id}/messages/").content.decode()
    assert "请提供发票代码" in fragment and 'data-author-role="staff"' in fragment
    assert "老用户" not in fragment and "data-internal" not in fragment
    page = owner_client.get(f"/tickets/{ticket.public_id}/").content.decode()
    assert "老用户" not in page and 'hx-trigger="every 5s"' in page
    assert "客服小沈" not in page  # staff are "客服" to users


def test_staff_assign_close_and_the_owner_rates(login, owner, auditor, ticket):
    staff = login(auditor)
    staff.post(f"/tickets/{ticket.public_id}/assign_me/")
    assert Ticket.objects.get(pk=ticket.pk).assignee == auditor
    staff.post(f"/tickets/{ticket.public_id}/close/")
    owner_client = Client()
    owner_client.force_login(owner)
    page = owner_client.get(f"/tickets/{ticket.public_id}/").content.decode()
    assert 'data-form="rate"' in page
    refused = owner_client.post(f"/tickets/{ticket.public_id}/rate/", {"speed": "", "comment": "x"})
    assert refused.status_code == 400 and "请至少为一项评分" in refused.content.decode()
    owner_client.post(f"/tickets/{ticket.public_id}/rate/", {"speed": "5", "service": "4", "comment": "好"})
    rating = Ticket.objects.get(pk=ticket.pk).rating
    assert (rating.speed, rating.service, rating.accuracy) == (5, 4, None)
    again = owner_client.post(f"/tickets/{ticket.public_id}/rate/", {"speed": "1"})
    assert again.status_code == 400


def test_the_queue_filters_and_flags_overdue_tickets(login, owner, auditor, ticket):
    late = tickets.open_ticket(owner, "complaint", "迟迟没人回", "x")
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    staff = login(auditor)
    page = staff.get("/tickets/").content.decode()
    assert f'data-ticket="{ticket.public_id}"' in page and f'data-ticket="{late.public_id}"' in page
    assert page.count("data-overdue") == 1
    overdue = staff.get("/tickets/?overdue=on").content.decode()
    assert f'data-ticket="{ticket.public_id}"' not in overdue and f'data-ticket="{late.public_id}"' in overdue
    by_category = staff.get("/tickets/?category=question").content.decode()
    assert f'data-ticket="{late.public_id}"' not in by_category
    assert staff.get("/tickets/?status=nonsense").status_code == 400


def test_a_user_lists_only_their_own_tickets(login, owner, make_user, ticket):
    other = make_user()
    tickets.open_ticket(other, "bug", "别人的", "x")
    page = login(owner).get("/tickets/").content.decode()
    assert "查不到发票" in page and "别人的" not in page


def test_attachments_download_to_owner_and_staff(login, owner, auditor, ticket):
    attachment = ticket.messages.get().attachments.get()
    url = f"/tickets/{ticket.public_id}/attachments/{attachment.pk}/"
    owner_client = Client()
    owner_client.force_login(owner)
    for client in (owner_client, login(auditor)):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.content == WEBM
        assert answer["Content-Type"] == "audio/webm"
        assert answer["Content-Disposition"].startswith("attachment;")


def test_outsiders_get_404_on_every_page_of_a_ticket(login, make_user, ticket, client):
    attachment = ticket.messages.get().attachments.get()
    urls = [
        f"/tickets/{ticket.public_id}/",
        f"/tickets/{ticket.public_id}/messages/",
        f"/tickets/{ticket.public_id}/attachments/{attachment.pk}/",
        f"/tickets/{uuid.uuid4()}/",
    ]
    stranger = login(make_user(email="lu.ren@example.com"))
    for url in urls:
        assert stranger.get(url).status_code == 404, url
    for step in ("reply", "close", "note", "rate"):
        assert stranger.post(f"/tickets/{ticket.public_id}/{step}/", {"body": "x"}).status_code == 404
    assert stranger.get("/tickets/canned/").status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).messages.count() == 1


def test_the_owner_cannot_take_staff_steps(login, owner, auditor, ticket):
    client = login(owner)
    assert client.post(f"/tickets/{ticket.public_id}/note/", {"note": "x"}).status_code == 404
    assert client.post(f"/tickets/{ticket.public_id}/assign_me/").status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_staff_keep_canned_answers_and_start_a_reply_from_one(login, auditor, ticket):
    staff = login(auditor)
    staff.post("/tickets/canned/", {"title": "查不到", "body": "请核对发票代码和号码。"})
    canned = tickets.canned_answers().get()
    page = staff.get(f"/tickets/{ticket.public_id}/?canned={canned.pk}").content.decode()
    assert "请核对发票代码和号码。</textarea>" in page
    staff.post(f"/tickets/canned/{canned.pk}/delete/")
    assert not tickets.canned_answers().exists()


def test_signed_in_users_see_the_tickets_link(login, owner, client):
    assert 'href="/tickets/"' in login(owner).get("/").content.decode()
