"""The batch pages: upload a file of invoices and land on its page, watch the progress fragment
count the outcomes as a worker verifies, download the result, cancel and retry; a refused file
keeps its message beside the field; outsiders get 404 and anonymous visitors are sent to log in."""

import csv
import io
import re
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
from yanpiao.web import batches

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, login):
    user = make_user()
    login(user)
    return user


@pytest.fixture
def rows(register):
    """Three rows: an authentic 普票, a number nobody registered, an authentic 数电票."""
    return [
        factories.key_query(register(type="04")),
        NOT_REGISTERED,
        factories.key_query(register(type="32")),
    ]


@pytest.fixture
def batch(client, owner, rows) -> Batch:
    """A batch the owner uploaded, queued."""
    answer = client.post("/batches/", {"file": csv_file(rows)})
    assert answer.status_code == 302, answer.content
    return Batch.objects.get(owner=owner)


def processed(batch: Batch) -> Batch:
    """What a worker does: verify every chunk of the batch, here and now."""
    chunks.work(batch.pk)
    batch.refresh_from_db()
    return batch


def hook(html: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', html)[1]


def field_error(html: str) -> str:
    """The error shown beside the file field."""
    return re.search(r'data-error-for="file">(.*?)</div>', html, re.S)[1]


def outcome_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-outcome-count="(\w+)"><span>[^<]+</span> <strong>(\d+)</strong>', html)
    return {outcome: int(count) for outcome, count in found}


# --- the list and the upload --------------------------------------------------------------------


def test_the_page_has_a_labelled_file_input_and_lists_my_batches(client, batch, make_user):
    html = client.get("/batches/").content.decode()
    assert re.search(r'<input type="file" name="file"[^>]*accept=".csv,.xlsx,.xls,.jsonl,.zip"', html)
    assert '<label for="id_file">发票清单文件</label>' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'data-row="{batch.public_id}"' in html and "三月发票.csv" in html and "排队中" in html
    assert 'data-nav="batches"' in html  # the header links here


def test_an_upload_lands_on_the_batch_page(client, owner, rows):
    answer = client.post("/batches/", {"file": csv_file(rows)})
    batch = Batch.objects.get(owner=owner)
    assert answer.status_code == 302 and answer["Location"] == f"/batches/{batch.public_id}/"
    html = client.get(answer["Location"]).content.decode()
    assert "三月发票.csv" in html and "CSV" in html
    assert hook(html, "data-batch-status") == "queued"
    assert (hook(html, "data-processed"), hook(html, "data-total")) == ("0", "3")
    assert '<progress value="0" max="3"' in html


def test_a_file_that_is_no_table_is_refused_with_the_reason_beside_the_field(client, owner):
    pdf = SimpleUploadedFile("发票.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "application/pdf")
    answer = client.post("/batches/", {"file": pdf})
    assert answer.status_code == 400
    assert "这不是发票清单" in field_error(answer.content.decode())
    assert not Batch.objects.exists()


def test_a_file_over_the_limit_and_no_file_at_all_are_refused_beside_the_field(client, owner, rows, settings):
    settings.YANPIAO_BATCH_MAX_BYTES = 100
    too_big = client.post("/batches/", {"file": csv_file(rows)})
    assert too_big.status_code == 400
    assert (
        field_error(too_big.content.decode())
        == '<ul class="errorlist" id="id_file_error"><li>文件超过大小上限（100\xa0字节）。</li></ul>'
    )
    nothing = client.post("/batches/", {})
    assert nothing.status_code == 400 and "请选择一个文件。" in field_error(nothing.content.decode())
    assert not Batch.objects.exists()


def test_even_a_small_upload_goes_to_a_temporary_file_and_the_batch_is_read_from_it(
    client, owner, rows, monkeypatch
):
    paths, create = [], services.create

    def spied(user, path, name=""):
        paths.append(Path(path))
        return create(user, path, name)

    monkeypatch.setattr(services, "create", spied)
    assert client.post("/batches/", {"file": csv_file(rows)}).status_code == 302
    assert paths[0].name.endswith(".upload.csv") and not paths[0].exists()


def test_an_upload_without_the_csrf_token_is_refused(owner, rows):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post("/batches/", {"file": csv_file(rows)}).status_code == 403
    assert not Batch.objects.exists()


# --- following a batch --------------------------------------------------------------------------


def test_the_progress_fragment_polls_while_queued_and_stops_with_the_counts_once_done(client, batch):
    fragment = client.get(f"/batches/{batch.public_id}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert f'hx-get="/batches/{batch.public_id}/progress/"' in fragment
    assert "<html" not in fragment and outcome_counts(fragment) == {}
    processed(batch)
    fragment = client.get(f"/batches/{batch.public_id}/progress/").content.decode()
    assert "hx-trigger" not in fragment  # done: the polling stops
    assert hook(fragment, "data-batch-status") == "done" and "已完成" in fragment
    assert hook(fragment, "data-processed") == hook(fragment, "data-total") == "3"
    assert outcome_counts(fragment) == {"authentic": 2, "not_found": 1}
    assert "查验一致" in fragment and "查无此票" in fragment
    assert 'data-action="download-xlsx"' in fragment and 'data-action="cancel"' not in fragment


def test_the_result_downloads_as_xlsx_and_csv_once_done(client, batch):
    processed(batch)
    xlsx = client.get(f"/batches/{batch.public_id}/result.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True)["查验结果"]
    header, *body = sheet.values
    assert [line[header.index("outcome")] for line in body] == ["authentic", "not_found", "authentic"]
    text = b"".join(client.get(f"/batches/{batch.public_id}/result.csv").streaming_content).decode(
        "utf-8-sig"
    )
    assert [line["outcome"] for line in csv.DictReader(io.StringIO(text))] == [
        "authentic",
        "not_found",
        "authentic",
    ]


def test_before_it_has_ended_the_result_link_leads_back_to_the_batch_page(client, batch):
    answer = client.get(f"/batches/{batch.public_id}/result.xlsx", follow=True)
    assert answer.redirect_chain == [(f"/batches/{batch.public_id}/", 302)]
    assert "这批发票还在查验，结束后才能下载结果。" in answer.content.decode()
    assert client.get(f"/batches/{batch.public_id}/result.pdf").status_code == 404


def test_cancel_then_retry_then_done(client, batch):
    page = client.post(f"/batches/{batch.public_id}/cancel/", follow=True).content.decode()
    assert hook(page, "data-batch-status") == "cancelled" and "已取消" in page
    assert 'data-action="retry"' in page and 'data-action="download-csv"' in page
    again = client.post(f"/batches/{batch.public_id}/cancel/", follow=True).content.decode()
    assert "这批发票已经查验结束，无法取消。" in again
    page = client.post(f"/batches/{batch.public_id}/retry/", follow=True).content.decode()
    assert hook(page, "data-batch-status") == "queued" and 'data-action="cancel"' in page
    assert processed(batch).status == "done"


def test_a_failed_batch_says_so_in_words_and_offers_a_retry(client, batch):
    Batch.objects.filter(pk=batch.pk).update(status="failed", error="chunk 0 was given up after 3 attempts")
    html = client.get(f"/batches/{batch.public_id}/").content.decode()
    assert hook(html, "data-batch-status") == "failed" and "失败" in html and 'data-error="failed"' in html
    assert "chunk 0" not in html  # the worker's own words stay in the log
    assert 'data-action="retry"' in html and "hx-trigger" not in html


def test_the_list_pages_newest_first(client, owner, rows, monkeypatch):
    monkeypatch.setattr(batches, "PAGE_SIZE", 1)
    for _ in range(2):
        client.post("/batches/", {"file": csv_file(rows)})
    newer, older = Batch.objects.order_by("-created_at", "-id")
    first = client.get("/batches/").content.decode()
    assert f'data-row="{newer.public_id}"' in first and f'data-row="{older.public_id}"' not in first
    next_page = re.search(r'href="([^"]+)" rel="next"', first)[1]
    second = client.get(next_page.replace("&amp;", "&"))
    assert f'data-row="{older.public_id}"' in second.content.decode()
    assert client.get("/batches/?cursor=made-up").status_code == 400


# --- who may ------------------------------------------------------------------------------------


def batch_urls(public_id) -> list[tuple[str, str]]:
    return [
        ("get", f"/batches/{public_id}/"),
        ("get", f"/batches/{public_id}/progress/"),
        ("get", f"/batches/{public_id}/result.xlsx"),
        ("post", f"/batches/{public_id}/cancel/"),
        ("post", f"/batches/{public_id}/retry/"),
    ]


def test_an_outsider_gets_404_on_every_page_of_someone_elses_batch_as_for_none(client, batch, make_user):
    processed(batch)
    client.force_login(make_user())
    for public_id in (batch.public_id, uuid.uuid4()):
        for method, url in batch_urls(public_id):
            assert getattr(client, method)(url).status_code == 404, url
    assert batch.public_id.hex not in client.get("/batches/").content.decode().replace("-", "")


def test_an_auditor_sees_a_batch_but_may_not_cancel_it(client, batch, make_user, login):
    login(make_user(Role.AUDITOR))
    assert client.get(f"/batches/{batch.public_id}/").status_code == 200
    assert client.post(f"/batches/{batch.public_id}/cancel/").status_code == 403
    batch.refresh_from_db()
    assert batch.status == "queued"


def test_anonymous_visitors_are_sent_to_log_in(client):
    for method, url in [("get", "/batches/"), ("post", "/batches/"), *batch_urls(uuid.uuid4())]:
        answer = getattr(client, method)(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/"), url
