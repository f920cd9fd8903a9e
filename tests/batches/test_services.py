"""Batch services: a file becomes a queued batch of sealed chunks; its owner (and staff) follow it,
cancel it, retry it and download its results; everyone else is told it does not exist."""

import csv
import hashlib
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django_tasks_db.models import DBTaskResult

from tests import factories
from yanpiao.access.visibility import NotVisible
from yanpiao.accounts.models import Role
from yanpiao.batches import chunks, services, tasks
from yanpiao.batches.models import Batch
from yanpiao.batches.rows import BatchRefused
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db


def table(path, queries, header=("type", "code", "number", "issue_date", "amount", "check_code", "total")):
    """A CSV at ``path`` with a row per query (a ``Query`` or a dict of fields)."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for query in queries:
            fields = query if isinstance(query, dict) else query.to_json()
            writer.writerow([fields.get(name, "") for name in header])
    return path


def registered_table(path, register, count: int, repeat: int = 1):
    """``count`` registered invoices, each typed ``repeat`` times in a row, as a CSV."""
    invoices = [register(type="04") for _ in range(count)]
    return table(path, [factories.key_query(invoice) for invoice in invoices for _ in range(repeat)])


def tasks_of(batch: Batch) -> int:
    return sum(
        1
        for args in DBTaskResult.objects.filter(task_path=tasks.process_batch.module_path).values_list(
            "args_kwargs", flat=True
        )
        if args["args"] == [batch.pk]
    )


@pytest.fixture
def small_chunks(settings):
    settings.YANPIAO_BATCH_CHUNK_ROWS = 3


def test_a_file_becomes_a_queued_batch_of_chunks_with_its_task(tmp_path, register, make_user, small_chunks):
    owner = make_user()
    path = registered_table(tmp_path / "三月.csv", register, 7)
    batch = services.create(owner, path, "三月.csv")
    assert (batch.owner, batch.name, batch.format, batch.status) == (owner, "三月.csv", "csv", "queued")
    assert (batch.size, batch.sha256) == (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    assert (batch.total, batch.processed, batch.duplicates) == (7, 0, 0)
    assert list(batch.chunks.order_by("index").values_list("index", "first_row", "rows", "status")) == [
        (0, 1, 3, "pending"),
        (1, 4, 3, "pending"),
        (2, 7, 1, "pending"),
    ]
    assert tasks_of(batch) == 1
    entry = AuditEntry.objects.get(action="batch.create")
    assert (entry.actor_id, entry.target) == (owner.pk, f"batches.batch:{batch.public_id}")
    assert entry.detail["rows"] == 7 and entry.detail["chunks"] == 3 and "name" not in entry.detail


def test_the_chunks_keep_the_rows_encrypted_and_not_the_file(tmp_path, register, small_chunks):
    invoice = register(type="04")
    path = table(tmp_path / "rows.csv", [factories.key_query(invoice)])
    batch = services.create(None, path)
    stored = bytes(batch.chunks.get().input)
    assert invoice.number.encode() not in stored and invoice.check_code[-6:].encode() not in stored
    rows = chunks.unseal(stored, batch.public_id, 0, "input")
    assert rows[0][2][2] == invoice.number
    with pytest.raises(Exception, match="does not decrypt"):
        chunks.unseal(stored, uuid.uuid4(), 0, "input")  # another batch's


def test_rows_repeating_a_code_and_number_are_marked_with_the_first(tmp_path, register, small_chunks):
    path = registered_table(tmp_path / "twice.csv", register, 2, repeat=2)  # a a b b
    batch = services.create(None, path)
    duplicate_of = [
        row[3]
        for chunk in batch.chunks.order_by("index")
        for row in chunks.unseal(chunk.input, batch.public_id, chunk.index, "input")
    ]
    assert duplicate_of == [None, 1, None, 3]
    assert batch.duplicates == 2


def test_a_file_that_is_no_batch_is_refused_and_nothing_is_stored(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("备注,序号\n好的,1\n", encoding="utf-8")
    with pytest.raises(BatchRefused) as refused:
        services.create(None, path)
    assert refused.value.reason == "missing_columns"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(BatchRefused):
        services.create(None, empty)
    assert not Batch.objects.exists() and not AuditEntry.objects.filter(action="batch.create").exists()


def test_the_owner_and_staff_see_a_batch_and_no_one_else(tmp_path, register, make_user):
    owner, colleague, auditor = make_user(), make_user(), make_user(role=Role.AUDITOR)
    batch = services.create(owner, registered_table(tmp_path / "a.csv", register, 1))
    assert services.batch_for(owner, batch.public_id) == batch
    assert services.batch_for(auditor, str(batch.public_id)) == batch
    for outsider, public_id in ((colleague, batch.public_id), (owner, uuid.uuid4()), (owner, "not-an-id")):
        with pytest.raises(NotVisible):
            services.batch_for(outsider, public_id)
    assert list(services.batches_of(colleague)) == []


def test_a_users_batches_come_newest_first(tmp_path, register, make_user):
    owner = make_user()
    path = registered_table(tmp_path / "a.csv", register, 1)
    first, second = services.create(owner, path), services.create(owner, path)
    services.create(make_user(), path)
    assert list(services.batches_of(owner)) == [second, first]


def test_progress_counts_what_the_workers_did(tmp_path, register, small_chunks):
    path = registered_table(tmp_path / "a.csv", register, 4)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("04,1100241320,99999999,2025-03-07,,123456,\n")  # not registered
    batch = services.create(None, path)
    assert services.progress(batch) == {
        "status": "queued", "total": 5, "processed": 0, "counts": {}, "duplicates": 0, "error": "",
    }  # fmt: skip
    chunks.work(batch.pk)
    assert services.progress(batch) == {
        "status": "done",
        "total": 5,
        "processed": 5,
        "counts": {"authentic": 4, "not_found": 1},
        "duplicates": 0,
        "error": "",
    }


def test_a_cancelled_batch_leaves_its_pending_chunks_undone(tmp_path, register, make_user, small_chunks):
    owner = make_user()
    batch = services.create(owner, registered_table(tmp_path / "a.csv", register, 7))
    claimed = chunks.claim(batch.pk, "worker-1")
    assert services.cancel(owner, batch) is True
    assert batch.status == "cancelled" and batch.finished_at is not None
    # The chunk in hand finishes; no other is taken.
    chunks.process(batch, claimed, "worker-1")
    assert chunks.work(batch.pk, "worker-2") == 0
    assert list(batch.chunks.order_by("index").values_list("status", flat=True)) == [
        "done",
        "pending",
        "pending",
    ]
    assert services.progress(batch)["status"] == "cancelled" and Verification.objects.count() == 3
    assert services.cancel(owner, batch) is False  # ended already: nothing changes, nothing recorded
    assert AuditEntry.objects.filter(action="batch.cancel").count() == 1


def test_retrying_a_cancelled_batch_verifies_the_rest(tmp_path, register, make_user, small_chunks):
    owner = make_user()
    batch = services.create(owner, registered_table(tmp_path / "a.csv", register, 7))
    chunks.process(batch, chunks.claim(batch.pk, "worker-1"), "worker-1")
    services.cancel(owner, batch)
    assert services.retry(owner, batch) is True
    assert (batch.status, batch.finished_at) == ("queued", None) and tasks_of(batch) == 2
    chunks.work(batch.pk)
    assert services.progress(batch)["status"] == "done"
    assert services.progress(batch)["counts"] == {"authentic": 7} and Verification.objects.count() == 7
    assert services.retry(owner, batch) is False  # done: nothing to retry
    assert AuditEntry.objects.filter(action="batch.retry").count() == 1


def test_only_the_owner_or_an_admin_may_cancel_or_retry(tmp_path, register, make_user):
    owner, auditor, admin = make_user(), make_user(role=Role.AUDITOR), make_user(role=Role.ADMIN)
    batch = services.create(owner, registered_table(tmp_path / "a.csv", register, 1))
    for someone in (auditor, make_user(), None):
        with pytest.raises(PermissionDenied):
            services.cancel(someone, batch)
    assert services.cancel(admin, batch) is True
    operators = services.create(None, registered_table(tmp_path / "b.csv", register, 1))
    assert services.cancel(None, operators) is True  # the console's own batch
    with pytest.raises(PermissionDenied):
        services.retry(owner, operators)


def test_the_result_download_is_a_named_file_and_audited(tmp_path, register, make_user, small_chunks):
    owner = make_user()
    batch = services.create(owner, registered_table(tmp_path / "a.csv", register, 4))
    chunks.work(batch.pk)
    response = services.result_response(batch, "csv", owner)
    assert response["Content-Disposition"].startswith('attachment; filename="yanpiao-batch-')
    assert response["Cache-Control"] == "no-store"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == 4
    entry = AuditEntry.objects.get(action="batch.result")
    assert entry.actor_id == owner.pk and entry.detail == {"format": "csv", "rows": 4, "status": "done"}
