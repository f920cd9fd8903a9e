"""The history through the API: the list (filters, cursor paging), one verification, the export;
who may read what (404 for outsiders, masked parties for auditors), scopes, and the error shape."""

import csv
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests import factories
from tests.factories import key_query
from tests.history import scene as scenes
from yanpiao.access.masking import mask
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.history import export
from yanpiao.registry import services as registry
from yanpiao.verification.models import Channel
from yanpiao.verification.services import ANSWER_FIELDS, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(register, make_user):
    return scenes.build(register, make_user)


@pytest.fixture
def as_user(client, bearer):
    """``as_user(user).get(path, **params)``: a GET under /api/v1 with a token carrying ``scopes``
    (``history:read`` unless told); ``as_user(None)`` calls anonymously."""

    def _as(user, scopes=("history:read",)):
        headers = bearer(user, scopes) if user is not None else {}

        class Caller:
            def get(self, path, **params):
                return client.get(f"/api/v1{path}", params, **headers)

        return Caller()

    return _as


def listed(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def ids(scene, *names) -> set[str]:
    return {scene.ids[name] for name in names}


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields"}
    return body


# --- the list ----------------------------------------------------------------------------------


def test_the_list_is_the_callers_history_and_their_organisations(scene, as_user):
    answer = as_user(scene.actor).get("/verifications")
    assert listed(answer) == scene.the_actors()
    assert answer.json()["next_cursor"] is None
    item = answer.json()["items"][0]
    assert tuple(item) == ANSWER_FIELDS
    assert item["certificate_url"].endswith(f"/api/v1/verifications/{item['id']}/certificate")
    assert listed(as_user(scene.outsider).get("/verifications")) == ids(scene, "outsider")
    assert listed(as_user(scene.colleague).get("/verifications")) == scene.the_actors()


def test_an_auditor_lists_everyones_with_the_parties_masked(scene, as_user):
    answer = as_user(scene.auditor).get("/verifications")
    assert listed(answer) == scene.everyone()
    items = {item["id"]: item for item in answer.json()["items"]}
    seller = items[scene.ids["outsider"]]["invoice"]["seller"]
    assert seller["name"] == mask(factories.SELLER.name, "name")
    assert seller["tax_id"] == mask(factories.SELLER.tax_id, "tax_id")
    # The actor sees the same invoice in full.
    mine = {item["id"]: item for item in as_user(scene.actor).get("/verifications").json()["items"]}
    assert mine[scene.ids["authentic"]]["invoice"]["seller"]["tax_id"] == factories.SELLER.tax_id


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"outcome": "authentic"}, ("authentic",)),
        ({"outcome": "mismatch,not_found"}, ("mismatch", "not_found")),
        ({"type": "32"}, ("authentic", "voided")),
        ({"type": "01"}, ("mismatch",)),
        ({"channel": "api"}, ("authentic", "invalid")),
        ({"channel": "qr"}, ("not_found",)),
        ({"seller_tax_id": factories.SELLER.tax_id}, ("authentic",)),
        ({"min_total": "1000"}, ("voided",)),
        ({"max_total": "999.99"}, ("authentic",)),
        (
            {"from": "2000-01-01", "to": "2999-12-31"},
            ("authentic", "mismatch", "voided", "not_found", "invalid"),
        ),
        ({"from": "2999-01-01"}, ()),
        ({"to": "2000-01-01"}, ()),
    ],
)
def test_each_filter(scene, as_user, params, expected):
    assert listed(as_user(scene.actor).get("/verifications", **params)) == ids(scene, *expected)


def test_a_mismatch_is_not_found_by_the_registered_invoices_seller_or_total(scene, as_user):
    """Filtering one's own mismatch by seller or total would tell whose invoice it is."""
    other = scenes.OTHER_SELLER.tax_id
    found = listed(as_user(scene.actor).get("/verifications", seller_tax_id=other))
    assert scene.ids["mismatch"] not in found and found == ids(scene, "voided")
    total = str(scene.special.total)  # the same as the authentic 数电票's
    found = listed(as_user(scene.actor).get("/verifications", min_total=total, max_total=total))
    assert found == ids(scene, "authentic")
    assert (
        listed(as_user(scene.actor).get("/verifications", outcome="mismatch", seller_tax_id=other)) == set()
    )


def test_bad_filters_are_400_naming_each_field(scene, as_user):
    body = error(
        as_user(scene.actor).get("/verifications", outcome="real", **{"from": "soon"}, min_total="x"), 400
    )
    assert body["code"] == "invalid_filter"
    assert set(body["fields"]) == {"outcome", "from", "min_total"}


@pytest.mark.parametrize("limit", ["0", "101", "many"])
def test_the_limit_is_1_to_100(scene, as_user, limit):
    body = error(as_user(scene.actor).get("/verifications", limit=limit), 400)
    assert "limit" in body["fields"]


def test_cursor_paging_sees_every_row_once(scene, as_user):
    caller, seen, cursor = as_user(scene.auditor), [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        answer = caller.get("/verifications", **params).json()
        seen += [item["id"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6 and set(seen) == scene.everyone()
    checked = [item["checked_at"] for item in caller.get("/verifications").json()["items"]]
    assert checked == sorted(checked, reverse=True)


@pytest.mark.parametrize("cursor", ["nonsense", "A" * 80, "é", "x" * 500])
def test_a_bad_cursor_is_400_not_500(scene, as_user, cursor):
    body = error(as_user(scene.actor).get("/verifications", cursor=cursor), 400)
    assert body["code"] in ("invalid_cursor", "invalid_request") and "cursor" in body["fields"]


def test_the_list_costs_the_same_few_queries_whatever_its_length(
    register, make_user, as_user, timed_reads_held
):
    """No query per row: related rows (actor, invoice, parties, lines, status changes) in bulk."""
    user = make_user()
    caller = as_user(user)

    def check_some(count):
        for _ in range(count):
            invoice = register(type="32")
            verify(key_query(invoice), actor=user, channel=Channel.API)
            voided = register(type="01")
            registry.void(InvoiceKey(voided.code, voided.number))
            verify(key_query(voided), actor=user, channel=Channel.API)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert caller.get("/verifications").status_code == 200
        return len(captured)

    check_some(1)
    queries()  # the token's first use is written down once: not part of the list's cost
    few = queries()
    check_some(5)
    assert queries() == few


# --- one verification --------------------------------------------------------------------------


def test_the_detail_is_seen_by_the_actor_a_colleague_and_an_auditor(scene, as_user):
    path = f"/verifications/{scene.ids['authentic']}"
    for user in (scene.actor, scene.colleague, scene.auditor):
        answer = as_user(user).get(path)
        assert answer.status_code == 200, user
        assert answer.json()["id"] == scene.ids["authentic"]
        assert answer.json()["outcome"] == "authentic"
    assert as_user(scene.colleague).get(path).json()["invoice"]["seller"]["name"] == factories.SELLER.name
    masked = as_user(scene.auditor).get(path).json()["invoice"]["seller"]["name"]
    assert masked == mask(factories.SELLER.name, "name")


def test_an_outsider_gets_404_like_for_an_id_that_does_not_exist(scene, as_user):
    for path in (f"/verifications/{scene.ids['authentic']}", f"/verifications/{uuid.uuid4()}"):
        assert error(as_user(scene.outsider).get(path), 404)["code"] == "not_found"
    assert as_user(scene.outsider).get(f"/verifications/{scene.ids['outsider']}").status_code == 200


def test_a_mismatch_detail_reveals_nothing_of_the_registered_invoice(scene, as_user):
    answer = as_user(scene.actor).get(f"/verifications/{scene.ids['mismatch']}").json()
    assert answer["invoice"] is None and answer["differences"] == ["amount"]


def test_a_voided_detail_has_its_status_history(scene, as_user):
    answer = as_user(scene.actor).get(f"/verifications/{scene.ids['voided']}").json()
    assert [change["status"] for change in answer["status_history"]] == ["voided"]


# --- who may call ------------------------------------------------------------------------------

PATHS = ["/verifications", "/verifications/export", "/verifications/{id}"]


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_callers_get_401(scene, as_user, path):
    answer = as_user(None).get(path.format(id=scene.ids["authentic"]))
    assert error(answer, 401)["code"] == "not_authenticated"


@pytest.mark.parametrize("path", PATHS)
def test_a_token_without_history_read_gets_403(scene, as_user, path):
    answer = as_user(scene.actor, scopes=("verify",)).get(path.format(id=scene.ids["authentic"]))
    assert error(answer, 403)["code"] == "missing_scope"


def test_a_signed_in_session_reads_the_history(scene, login):
    client = login(scene.actor)
    assert client.get("/api/v1/verifications").status_code == 200
    assert client.get(f"/api/v1/verifications/{scene.ids['mismatch']}").status_code == 200


# --- the export --------------------------------------------------------------------------------


def test_csv_export_holds_every_row_the_filters_select(scene, as_user):
    answer = as_user(scene.actor).get("/verifications/export", format="csv")
    assert answer.status_code == 200 and answer.streaming
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].startswith('attachment; filename="yanpiao-history-')
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["id"] for row in rows} == scene.the_actors()
    answer = as_user(scene.actor).get("/verifications/export", outcome="mismatch")  # csv by default
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert [(row["id"], row["seller_name"], row["total"]) for row in rows] == [
        (scene.ids["mismatch"], "", "")
    ]


def test_xlsx_export_opens_with_openpyxl_and_holds_every_row(scene, as_user):
    answer = as_user(scene.auditor).get("/verifications/export", format="xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"] == export.CONTENT_TYPES["xlsx"]
    assert answer["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    header, *rows = list(workbook.active.iter_rows(values_only=True))
    assert header == export.HEADER
    shown = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(shown) == scene.everyone()
    assert shown[scene.ids["outsider"]]["seller_name"] == mask(factories.SELLER.name, "name")
    assert shown[scene.ids["outsider"]]["actor"] == mask("孙立", "name")
    workbook.close()


def test_export_filters_and_format_are_checked(scene, as_user):
    assert (
        error(as_user(scene.actor).get("/verifications/export", format="pdf"), 400)["code"]
        == "invalid_format"
    )
    body = error(as_user(scene.actor).get("/verifications/export", format="xlsx", type="7"), 400)
    assert body["code"] == "invalid_filter" and "type" in body["fields"]


def test_an_export_is_audited(scene, as_user, audit_events):
    answer = as_user(scene.actor).get("/verifications/export", format="csv", outcome="authentic")
    b"".join(answer.streaming_content)
    answer.close()
    entries = [event for event in audit_events if event["action"] == "history.export"]
    assert len(entries) == 1 and entries[0]["actor"] == scene.actor
    assert entries[0]["detail"]["rows"] == 1 and entries[0]["detail"]["complete"]
    assert entries[0]["detail"]["channel"] == "api"
