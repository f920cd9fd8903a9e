"""Batches through the API: a CSV uploaded becomes a queued batch, a worker verifies it, its progress
and counts by outcome show, its result downloads (XLSX and CSV, rows in input order); cancel and
retry; refused files in the error shape; outsiders get 404 on every id, a token needs ``batch``."""

import csv
import io
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests import factories
from tests.support.uploads import NOT_REGISTERED, csv_file
from yanpiao.accounts.models import Role
from yanpiao.batches import chunks, services
from yanpiao.batches.models import Batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def as_user(client, bearer):
    """``as_user(user).get(path)`` / ``.post(path, data)`` under /api/v1 with a token carrying
    ``scopes`` (``batch`` unless told)."""

    def _as(user, scopes=("batch",)):
        headers = bearer(user, scopes)

        class Caller:
            def get(self, path, **params):
                return client.get(f"/api/v1{path}", params, **headers)

            def post(self, path, data=None):
                return client.post(f"/api/v1{path}", data or {}, **headers)

        return Caller()

    return _as


@pytest.fixture
def rows(register):
    """Four rows in this order: an authentic 普票, a not-registered number, an authentic 数电票, and
    the first again (a duplicate)."""
    first, second = register(type="04"), register(type="32")
    return [
        factories.key_query(first),
        NOT_REGISTERED,
        factories.key_query(second),
        factories.key_query(first),
    ]


def uploaded(as_user, owner, rows) -> dict:
    answer = as_user(owner).post("/batches", {"file": csv_file(rows)})
    assert answer.status_code == 201, answer.content
    return answer.json()


def processed(batch_id: str) -> None:
    """What a worker does: verify every chunk of the batch, here and now."""
    chunks.work(Batch.objects.get(public_id=batch_id).pk)


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields"}
    return body


# --- upload, progress, result -------------------------------------------------------------------


def test_an_uploaded_csv_is_a_queued_batch_answered_with_its_progress(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    assert batch["name"] == "三月发票.csv" and batch["format"] == "csv"
    assert (batch["status"], batch["total"], batch["processed"]) == ("queued", 4, 0)
    assert batch["counts"] == {} and batch["duplicates"] == 1
    assert batch["result_url"] is None and batch["error"] is None
    assert Batch.objects.get(public_id=batch["id"]).owner == owner


def test_once_processed_every_row_is_done_and_counted_by_outcome(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    processed(batch["id"])
    answer = as_user(owner).get(f"/batches/{batch['id']}")
    assert answer.status_code == 200
    done = answer.json()
    assert done["status"] == "done" and done["processed"] == done["total"] == 4
    assert done["counts"] == {"authentic": 3, "not_found": 1}
    assert done["started_at"] and done["finished_at"]
    assert done["result_url"] == f"http://testserver/api/v1/batches/{batch['id']}/result"


def test_the_result_downloads_as_xlsx_with_the_outcome_of_each_row_in_input_order(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    processed(batch["id"])
    answer = as_user(owner).get(f"/batches/{batch['id']}/result", format="xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    assert answer["Content-Disposition"].startswith("attachment;") and answer["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    lines = list(workbook["查验结果"].values)
    header, body = lines[0], lines[1:]
    outcome, number = header.index("outcome"), header.index("number")
    assert [line[header.index("row")] for line in body] == [1, 2, 3, 4]
    assert [line[outcome] for line in body] == ["authentic", "not_found", "authentic", "authentic"]
    assert [line[number] for line in body] == [
        row.number if not isinstance(row, dict) else row["number"] for row in rows
    ]


def test_the_result_downloads_as_csv_too(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    processed(batch["id"])
    answer = as_user(owner).get(f"/batches/{batch['id']}/result", format="csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert [line["outcome"] for line in lines] == ["authentic", "not_found", "authentic", "authentic"]
    assert lines[3]["duplicate_of"] == "1"


def test_the_result_is_409_until_the_batch_has_ended_and_an_unknown_format_is_400(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    assert error(as_user(owner).get(f"/batches/{batch['id']}/result"), 409)["code"] == "batch_not_finished"
    processed(batch["id"])
    body = error(as_user(owner).get(f"/batches/{batch['id']}/result", format="pdf"), 400)
    assert body["code"] == "invalid_format" and "format" in body["fields"]


@pytest.fixture
def read_from(monkeypatch):
    """The paths the batch service was given to read."""
    paths, create = [], services.create

    def spied(user, path, name=""):
        paths.append(Path(path))
        return create(user, path, name)

    monkeypatch.setattr(services, "create", spied)
    return paths


def test_a_big_upload_is_read_from_the_temporary_file_django_streamed_it_to(
    as_user, owner, rows, settings, read_from
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16  # this upload is "big": Django streams it to disk
    batch = uploaded(as_user, owner, rows)
    assert batch["total"] == 4
    assert read_from[0].name.endswith(".upload.csv")  # Django's temporary file, not a copy
    assert not read_from[0].exists()  # removed with the request


def test_a_small_upload_kept_in_memory_is_read_from_a_temporary_copy(as_user, owner, rows, read_from):
    assert uploaded(as_user, owner, rows)["total"] == 4
    assert read_from[0].name.startswith("yanpiao-batch-") and not read_from[0].exists()


def test_a_session_caller_uploads_too(client, login, owner, rows):
    login(owner)
    answer = client.post("/api/v1/batches", {"file": csv_file(rows)})
    assert answer.status_code == 201 and answer.json()["total"] == 4


# --- cancel and retry ---------------------------------------------------------------------------


def test_cancel_stops_a_queued_batch_and_retry_takes_it_up_again(as_user, owner, rows):
    batch = uploaded(as_user, owner, rows)
    cancelled = as_user(owner).post(f"/batches/{batch['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["result_url"]  # what was verified before the cancel can be downloaded
    assert error(as_user(owner).post(f"/batches/{batch['id']}/cancel"), 409)["code"] == "batch_ended"
    retried = as_user(owner).post(f"/batches/{batch['id']}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert error(as_user(owner).post(f"/batches/{batch['id']}/retry"), 409)["code"] == "batch_not_stopped"
    processed(batch["id"])
    assert as_user(owner).get(f"/batches/{batch['id']}").json()["processed"] == 4


def test_an_auditor_sees_a_batch_but_may_not_cancel_it(as_user, owner, rows, make_user):
    batch = uploaded(as_user, owner, rows)
    auditor = make_user(Role.AUDITOR)
    assert as_user(auditor).get(f"/batches/{batch['id']}").status_code == 200
    assert error(as_user(auditor).post(f"/batches/{batch['id']}/cancel"), 403)["code"] == "forbidden"
    assert as_user(owner).get(f"/batches/{batch['id']}").json()["status"] == "queued"


# --- refused files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("empty.csv", b"", "batch_empty"),
        ("columns.csv", "序号,备注\n1,无\n".encode(), "batch_missing_columns"),
        ("invoice.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "batch_not_table"),
    ],
)
def test_a_file_that_cannot_be_a_batch_is_400_in_the_error_shape(as_user, owner, name, content, code):
    answer = as_user(owner).post("/batches", {"file": SimpleUploadedFile(name, content)})
    body = error(answer, 400)
    assert body["code"] == code and body["fields"]["file"] == body["message"]
    assert not Batch.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(as_user, owner, rows, settings):
    settings.YANPIAO_BATCH_MAX_BYTES = 100
    body = error(as_user(owner).post("/batches", {"file": csv_file(rows)}), 400)
    assert body["code"] == "batch_too_large" and "file" in body["fields"]
    assert not Batch.objects.exists()


def test_no_file_is_400_naming_the_field(as_user, owner):
    body = error(as_user(owner).post("/batches"), 400)
    assert "file" in body["fields"]


# --- the list -----------------------------------------------------------------------------------


def test_the_list_is_mine_newest_first_in_pages(as_user, owner, rows, make_user):
    mine = [uploaded(as_user, owner, rows)["id"] for _ in range(3)]
    uploaded(as_user, make_user(), rows)
    first = as_user(owner).get("/batches", limit=2)
    assert first.status_code == 200
    assert [item["id"] for item in first.json()["items"]] == mine[::-1][:2]
    rest = as_user(owner).get("/batches", limit=2, cursor=first.json()["next_cursor"]).json()
    assert [item["id"] for item in rest["items"]] == mine[:1] and rest["next_cursor"] is None
    assert error(as_user(owner).get("/batches", cursor="made-up"), 400)["code"] == "invalid_cursor"


# --- who may --------------------------------------------------------------------------------------

ID_ENDPOINTS = [
    ("get", "/batches/{id}"),
    ("get", "/batches/{id}/result"),
    ("post", "/batches/{id}/cancel"),
    ("post", "/batches/{id}/retry"),
]


@pytest.mark.parametrize("method, template", ID_ENDPOINTS)
def test_an_outsider_gets_404_on_every_id_as_for_an_id_that_does_not_exist(
    as_user, owner, rows, make_user, method, template
):
    batch = uploaded(as_user, owner, rows)
    processed(batch["id"])
    outsider = as_user(make_user())
    for batch_id in (batch["id"], str(uuid.uuid4())):
        answer = getattr(outsider, method)(template.format(id=batch_id))
        assert error(answer, 404)["code"] == "not_found"
    assert as_user(owner).get(f"/batches/{batch['id']}").json()["status"] == "done"


@pytest.mark.parametrize("method, template", [("post", "/batches"), ("get", "/batches"), *ID_ENDPOINTS])
def test_a_token_without_the_batch_scope_is_403_and_nobody_is_401(
    client, as_user, owner, rows, method, template
):
    batch = uploaded(as_user, owner, rows)
    path = template.format(id=batch["id"])
    caller = as_user(owner, scopes=("verify", "history:read"))
    if template == "/batches" and method == "post":
        refused = caller.post(path, {"file": csv_file(rows)})
    else:
        refused = getattr(caller, method)(path)
    assert error(refused, 403)["code"] == "missing_scope"
    anonymous = getattr(client, method)(f"/api/v1{path}")
    assert error(anonymous, 401)["code"] == "not_authenticated"
