"""A batch and its chunks: the file's rows, cut into pieces that any worker may take.

A :class:`Batch` is what its owner sees: the uploaded file's name, size and SHA-256 (the file
itself is not kept), its status, and the counts so far.  Its rows live in :class:`Chunk` s of
``YANPIAO_BATCH_CHUNK_ROWS`` rows (2,000): a worker claims a chunk for a lease, verifies it, and
marks it done in the transaction that records its verifications (:mod:`yanpiao.batches.chunks`).

A chunk's input and, once done, its results hold invoice data and check codes: both are stored
sealed — compact JSON, compressed, encrypted and bound to the batch and the chunk
(:func:`yanpiao.batches.chunks.seal`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Batch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("查验中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # None: the operator at the console (`yanpiao batch` without --as).  A deleted account's
    # batches go with it: their results hold the invoices it submitted.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="batches"
    )
    name = models.CharField(max_length=255)  # of the uploaded file
    format = models.CharField(max_length=16)  # csv, xlsx, xls, jsonl, zip (reading.format_of)
    size = models.BigIntegerField(default=0)  # bytes
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Rows: one per invoice to verify (a table's rows; the invoices found in a ZIP's documents).
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)  # outcome -> verifications so far
    duplicates = models.PositiveIntegerField(default=0)  # rows whose code and number came earlier
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return f"{self.public_id} {self.name} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


class Chunk(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        CLAIMED = "claimed"
        DONE = "done"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()  # 0, 1, … in input order
    first_row = models.PositiveIntegerField()  # the number of its first row
    rows = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    claimed_by = models.CharField(max_length=64, blank=True, default="")  # worker id
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # claims so far
    input = models.BinaryField()  # sealed: the normalised rows
    results = models.BinaryField(null=True, blank=True)  # sealed, once done: one result per row

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="batches_chunk_one_index")]

    def __str__(self):
        return f"{self.batch_id}/{self.index} {self.status}"
