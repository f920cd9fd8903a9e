"""The history pages: who sees which checks, the filters, the paging, the exports, and the words
(never the codes) the page shows."""

import csv
import datetime
import io
import re

import pytest
from openpyxl import load_workbook

from tests.factories import key_query
from tests.history import scene as scenes
from yanpiao.verification.models import Channel, Verification
from yanpiao.verification.services import verify
from yanpiao.web import history

pytestmark = pytest.mark.django_db

PAGE = "/history/"
EXPORT = "/history/export/"


@pytest.fixture
def scene(register, make_user):
    return scenes.build(register, make_user)


def rows(response) -> list[str]:
    """The verification ids of the page's rows, in order."""
    assert response.status_code == 200, response.content.decode()
    return re.findall(r'data-row="([^"]+)"', response.content.decode())


def href(response, action: str) -> str:
    found = re.search(rf'href="([^"]+)"[^>]*data-action="{action}"', response.content.decode())
    assert found, f"no {action} link"
    return found.group(1).replace("&amp;", "&")


def text_of(response) -> str:
    """What a reader sees: the page without its tags and their attributes."""
    return re.sub(r"<[^>]*>", " ", response.content.decode())


def test_a_taxpayer_sees_only_their_own_checks_each_linking_to_its_result_page(scene, login):
    page = login(scene.outsider).get(PAGE)
    assert rows(page) == [scene.ids["outsider"]]
    assert f'href="/verifications/{scene.ids["outsider"]}/"' in page.content.decode()


def test_a_member_sees_their_organisations_checks_newest_first(scene, login):
    listed = rows(login(scene.actor).get(PAGE))
    assert set(listed) == scene.the_actors()
    newest_first = Verification.objects.filter(public_id__in=listed).order_by("-created_at", "-id")
    assert listed == [str(check.public_id) for check in newest_first]


def test_an_auditor_sees_everyones_checks(scene, login):
    assert set(rows(login(scene.auditor).get(PAGE))) == scene.everyone()


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in (PAGE, EXPORT):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login")
        assert f"next={path}" in response["Location"].replace("%2F", "/")


def test_the_filters_narrow_the_list(scene, login):
    client = login(scene.actor)
    assert rows(client.get(PAGE, {"outcome": "mismatch"})) == [scene.ids["mismatch"]]
    Verification.objects.filter(public_id=scene.ids["voided"]).update(
        created_at=datetime.datetime(2025, 1, 15, 12, tzinfo=datetime.UTC)
    )
    january = client.get(PAGE, {"from": "2025-01-01", "to": "2025-01-31"})
    assert rows(january) == [scene.ids["voided"]]
    assert 'value="2025-01-01"' in january.content.decode()


def test_an_invalid_filter_is_400_with_the_error_beside_the_field(scene, login):
    client = login(scene.actor)
    for path in (PAGE, EXPORT):
        response = client.get(path, {"outcome": "real", "from": "2025-13-01", "min_total": "1.234"})
        page = response.content.decode()
        assert response.status_code == 400
        for field in ("outcome", "from", "min_total"):
            assert f'data-error-for="{field}"' in page
        assert 'data-error-for="to"' not in page and "data-row=" not in page


def test_the_pages_follow_one_another_with_the_filters(scene, login, monkeypatch):
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    for _ in range(3):  # with the actor's authentic and invalid checks: five through the API
        verify(key_query(scene.digital), actor=scene.colleague, channel=Channel.API)
    client = login(scene.actor)
    first = client.get(PAGE, {"channel": "api"})
    assert len(rows(first)) == 2 and 'data-action="previous-page"' not in first.content.decode()
    assert "channel=api" in href(first, "next-page") and "cursor=" in href(first, "next-page")
    second = client.get(href(first, "next-page"))
    third = client.get(href(second, "next-page"))
    assert len(rows(second)) == 2 and len(rows(third)) == 1
    assert 'data-action="next-page"' not in third.content.decode()
    expected = Verification.objects.filter(channel=Channel.API).exclude(actor=scene.outsider)
    assert sorted(rows(first) + rows(second) + rows(third)) == sorted(str(c.public_id) for c in expected)
    assert rows(client.get(href(third, "previous-page"))) == rows(second)
    assert rows(client.get(href(second, "previous-page"))) == rows(first)


def test_a_bad_cursor_is_400(scene, login):
    response = login(scene.actor).get(PAGE, {"cursor": "not-a-cursor"})
    assert response.status_code == 400


def test_nothing_matching_says_so(scene, login):
    page = login(scene.outsider).get(PAGE, {"outcome": "tampered"})
    assert page.status_code == 200 and 'data-empty="history"' in page.content.decode()
    assert 'data-action="export-csv"' not in page.content.decode()


def test_the_csv_export_holds_every_row_the_filter_selects(scene, login, monkeypatch, audit_events):
    monkeypatch.setattr(history, "PAGE_SIZE", 1)
    client = login(scene.actor)
    listed = client.get(PAGE, {"channel": "api,web"})
    link = href(listed, "export-csv")
    assert link.startswith(EXPORT) and "format=csv" in link and "channel=api%2Cweb" in link
    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {row["id"] for row in table} == {scene.ids[name] for name in ("authentic", "mismatch", "invalid")}
    (entry,) = [event for event in audit_events if event["action"] == "history.export"]
    assert entry["detail"]["channel"] == "web" and entry["detail"]["rows"] == 3


def test_the_excel_export_opens_and_holds_every_row(scene, login):
    response = login(scene.auditor).get(EXPORT, {"format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook.worksheets[0]
    ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ids == scene.everyone()


def test_an_unknown_export_format_is_400(scene, login):
    assert login(scene.actor).get(EXPORT, {"format": "pdf"}).status_code == 400


def test_the_page_shows_words_not_codes(scene, login):
    page = login(scene.actor).get(PAGE)
    shown = text_of(page)
    assert "查验一致" in shown and "查无此票" in shown and "接口" in shown and "北京时间" in shown
    for code in ("not_found", "authentic", "mismatch", "api", "web", "qr"):
        assert not re.search(rf"\b{code}\b", shown), code
    assert 'data-outcome="not_found"' in page.content.decode()
