"""Chunks: claimed in input order by one worker at a time, verified and recorded all at once, taken
over when a lease runs out — never a row lost, never one verified twice."""

import datetime

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests import factories
from tests.batches.test_services import registered_table, table
from yanpiao.batches import chunks, results, services, tasks
from yanpiao.batches.models import Batch, Chunk
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Channel, Verification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.YANPIAO_BATCH_CHUNK_ROWS = 3


def batch_of(tmp_path, register, count: int, repeat: int = 1) -> Batch:
    return services.create(None, registered_table(tmp_path / "rows.csv", register, count, repeat))


def test_workers_claim_chunks_in_input_order_and_never_the_same_one(tmp_path, register):
    batch = batch_of(tmp_path, register, 7)
    first, second, third = (chunks.claim(batch.pk, worker) for worker in ("a", "b", "a"))
    assert [first.index, second.index, third.index] == [0, 1, 2]
    assert chunks.claim(batch.pk, "c") is None
    chunk = Chunk.objects.get(pk=second.id)
    assert (chunk.status, chunk.claimed_by, chunk.attempts) == ("claimed", "b", 1)
    assert chunk.lease_until > timezone.now() + datetime.timedelta(seconds=chunks.lease_seconds() - 5)
    batch.refresh_from_db()
    assert batch.status == "running" and batch.started_at is not None


def test_a_processed_batch_has_one_result_per_row_in_input_order(tmp_path, register):
    batch = batch_of(tmp_path, register, 4, repeat=2)  # 8 rows: a a b b c c d d
    assert chunks.work(batch.pk, "worker") == 3
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.counts, batch.duplicates) == ("done", 8, {"authentic": 8}, 4)
    assert batch.finished_at >= batch.started_at
    lines = list(results.rows(batch))
    assert [line[0] for line in lines] == list(range(1, 9))
    assert [line[results.HEADER.index("duplicate_of")] for line in lines] == [
        None,
        1,
        None,
        3,
        None,
        5,
        None,
        7,
    ]
    # Every row its own check in the history, recorded on the batch channel.
    recorded = {
        str(v) for v in Verification.objects.filter(channel=Channel.BATCH).values_list("public_id", flat=True)
    }
    assert {line[-1] for line in lines} == recorded and len(recorded) == 8
    assert set(Chunk.objects.values_list("status", "claimed_by", "lease_until")) == {("done", "", None)}


def test_each_chunk_is_one_audited_set_of_checks(tmp_path, register):
    batch = batch_of(tmp_path, register, 7)
    chunks.work(batch.pk, "worker")
    entries = AuditEntry.objects.filter(action="verification.create_bulk").order_by("id")
    assert [entry.detail["count"] for entry in entries] == [3, 3, 1]
    assert {entry.detail["batch"] for entry in entries} == {str(batch.public_id)}


def test_an_expired_lease_lets_another_worker_take_the_chunk(tmp_path, register):
    batch = batch_of(tmp_path, register, 3)
    lost = chunks.claim(batch.pk, "killed")
    assert chunks.claim(batch.pk, "other") is None  # held
    Chunk.objects.filter(pk=lost.id).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    taken = chunks.claim(batch.pk, "other")
    assert (taken.id, taken.attempts) == (lost.id, 2)
    assert chunks.process(batch, taken, "other") is True
    assert Verification.objects.count() == 3


def test_a_worker_that_lost_its_claim_records_nothing_of_the_chunk(tmp_path, register):
    batch = batch_of(tmp_path, register, 3)
    slow = chunks.claim(batch.pk, "slow")
    Chunk.objects.filter(pk=slow.id).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    fast = chunks.claim(batch.pk, "fast")
    assert chunks.process(batch, fast, "fast") is True
    assert chunks.process(batch, slow, "slow") is False  # its checks are rolled back
    batch.refresh_from_db()
    assert (batch.processed, batch.counts) == (3, {"authentic": 3})
    assert Verification.objects.count() == 3
    assert AuditEntry.objects.filter(action="verification.create_bulk").count() == 1


def test_a_chunk_that_cannot_be_verified_is_retried_then_fails_its_batch(tmp_path, register):
    batch = batch_of(tmp_path, register, 4)
    Chunk.objects.filter(batch=batch, index=1).update(input=b"damaged")  # never decrypts
    chunks.work(batch.pk, "worker")
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.error == "chunk 1 could not be verified (DecryptionError)"
    assert Chunk.objects.get(batch=batch, index=1).attempts == chunks.MAX_ATTEMPTS
    # Chunk 0 was done before; the one after the damaged chunk is left, as the batch failed.
    assert batch.processed == 3 and Verification.objects.count() == 3


def test_a_chunk_whose_worker_keeps_dying_fails_its_batch_at_the_last_attempt(tmp_path, register):
    batch = batch_of(tmp_path, register, 3)
    for attempt in range(chunks.MAX_ATTEMPTS):
        assert chunks.claim(batch.pk, f"dies-{attempt}") is not None
        Chunk.objects.update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert chunks.claim(batch.pk, "next") is None
    batch.refresh_from_db()
    assert batch.status == "failed" and "after 3 attempts" in batch.error


def test_a_row_that_is_no_invoice_is_verified_invalid_and_the_batch_goes_on(tmp_path, register):
    invoice = register(type="04")
    typo = {"code": "=HYPERLINK(1)", "number": "x", "issue_date": "2025-02-30"}
    path = table(tmp_path / "mixed.csv", [typo, factories.key_query(invoice)])
    batch = services.create(None, path)
    chunks.work(batch.pk, "worker")
    batch.refresh_from_db()
    assert batch.counts == {"invalid": 1, "authentic": 1}
    invalid = next(results.rows(batch))
    assert invalid[results.HEADER.index("outcome")] == "invalid"
    assert "number" in invalid[results.HEADER.index("findings")]


def test_work_waits_for_chunks_others_hold_when_asked(tmp_path, register, settings, monkeypatch):
    settings.YANPIAO_BATCH_LEASE_SECONDS = 1
    monkeypatch.setattr(chunks, "WAIT_SECONDS", 0.05)
    batch = batch_of(tmp_path, register, 6)
    chunks.claim(batch.pk, "killed")  # and never finished
    assert chunks.work(batch.pk, "patient") == 1  # without waiting: only the chunk free now
    assert chunks.ongoing(batch.pk)
    assert chunks.work(batch.pk, "patient", wait=True) == 1  # the killed worker's, once its lease ran out
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == ("done", 6) and Verification.objects.count() == 6


def test_a_batch_whose_worker_was_killed_gets_a_new_task_once_its_chunk_is_free(tmp_path, register):
    batch = batch_of(tmp_path, register, 3)
    assert tasks.rescue() == set()  # its task waits to be run
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)  # taken by a worker, which is then killed
    killed = chunks.claim(batch.pk, "killed")
    assert tasks.rescue() == set()  # the lease still holds
    Chunk.objects.filter(pk=killed.id).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert tasks.rescue() == {batch.pk}
    assert tasks.rescue() == set()  # one task waiting is enough
    assert tasks.process_batch.call(batch.pk) == 1
    batch.refresh_from_db()
    assert batch.status == "done" and Verification.objects.count() == 3
