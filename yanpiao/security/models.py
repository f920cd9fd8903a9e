"""The audit log: one row per security-relevant event, each chained to the one before in its lane.

Rows are written only by :func:`yanpiao.security.audit.record`, which assigns the id (rising, on
PostgreSQL from a sequence, so with gaps), the lane, the position in the lane and the hashes.  The table is not managed by Django: migration 0002 creates it, its indexes
and the triggers that refuse UPDATE and DELETE, so Django never alters or empties it (``flush``,
as run between transactional tests, would be refused by those triggers).  A change of columns
or indexes therefore needs a hand-written migration.
"""

from django.db import models


class AuditEntry(models.Model):
    id = models.BigIntegerField(primary_key=True)  # rising, assigned by audit.record
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # a user id; no foreign key
    action = models.CharField(max_length=64)
    target = models.TextField(blank=True)  # "app.model:id", e.g. "registry.invoice:42"; never personal data
    detail = models.JSONField(default=dict, blank=True)  # never personal data either
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    lane = models.SmallIntegerField(default=0)  # which of the parallel chains (migration 0005)
    seq = models.BigIntegerField(null=True)  # position in the lane, from 1; None: from before lanes

    class Meta:
        managed = False
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"audit entry {self.id}: {self.action} {self.target}".rstrip()


class ThrottleWindow(models.Model):
    """How many events one key has had in its current window (see :mod:`yanpiao.security.throttle`)."""

    key = models.CharField(max_length=64, unique=True)  # a keyed digest of the limit and what it counts
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(db_index=True)  # when it counts nothing any more
    count = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.count} since {self.started_at:%Y-%m-%d %H:%M}"
