"""The batch tables: a batch belongs to its owner (and goes with the account), a chunk has one
place in its batch."""

import pytest
from django.db import IntegrityError, transaction

from yanpiao.batches.models import Batch, Chunk

pytestmark = pytest.mark.django_db


def test_a_new_batch_is_queued_with_nothing_counted_yet():
    batch = Batch.objects.create(name="发票.csv", format="csv", sha256="0" * 64)
    assert (batch.status, batch.total, batch.processed, batch.counts, batch.duplicates) == (
        "queued",
        0,
        0,
        {},
        0,
    )
    assert batch.owner is None and batch.public_id and not batch.finished
    for status in ("done", "failed", "cancelled"):
        batch.status = status
        assert batch.finished


def test_a_chunk_has_one_place_in_its_batch():
    batch = Batch.objects.create(name="a.csv", format="csv", sha256="0" * 64)
    Chunk.objects.create(batch=batch, index=0, first_row=1, rows=2, input=b"sealed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Chunk.objects.create(batch=batch, index=0, first_row=3, rows=2, input=b"sealed")


def test_a_deleted_account_takes_its_batches_and_their_chunks_along(make_user):
    owner = make_user()
    batch = Batch.objects.create(owner=owner, name="a.csv", format="csv", sha256="0" * 64)
    Chunk.objects.create(batch=batch, index=0, first_row=1, rows=1, input=b"sealed")
    owner.delete()
    assert not Batch.objects.exists() and not Chunk.objects.exists()
