"""The verification history: one row for every check, whatever its channel and outcome."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from uuid_utils.compat import uuid7

from yanpiao.fapiao.compare import OUTCOMES


class Channel(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "API"
    CLI = "cli", "命令行"
    QR = "qr", "二维码"
    UPLOAD = "upload", "上传文件"
    BATCH = "batch", "批量"


def new_public_id() -> uuid.UUID:
    """A check's public id: a UUIDv7, time-ordered with 74 random bits.  Ordered ids land at the end
    of the unique index instead of on a random page of it: a batch of a million checks writes a few
    index pages per commit, not one per row.  The id tells when the check was made, which its
    ``created_at`` tells anyone who may see it anyway."""
    return uuid7()


class Verification(models.Model):
    public_id = models.UUIDField(default=new_public_id, unique=True, editable=False)
    # No index of its own: the (actor, created_at) index serves look-ups by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # What the verifier typed or what was read from the document: the key fields, with secrets and
    # personal data masked (verification.services keeps none in clear); differences and findings too.
    submitted = models.JSONField()
    outcome = models.CharField(max_length=16, choices=[(o, o) for o in OUTCOMES])
    differences = models.JSONField(default=list)
    findings = models.JSONField(default=list)
    invoice = models.ForeignKey(
        "registry.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    # The risk assessment (yanpiao.risk): its score (the level derives from it) and reasons,
    # [{"code", "message"}].  db_default: rows inserted before scoring existed read as no risk.
    risk_score = models.PositiveSmallIntegerField(default=0, db_default=0)
    risk_reasons = models.JSONField(default=list, db_default=[])
    # The invoice type of the check (Query.type_code: as given, or inferred from code and number),
    # for filtering the history.  No index: a filter by type narrows a listing already bounded
    # by (actor, created_at) or created_at, and an index would be one more write on every check.
    # db_default: rows inserted by SQL that names no type (older scripts) still get "".
    invoice_type = models.CharField(max_length=2, blank=True, default="", db_default="")

    class Meta:
        # Every index is a page written by every check: only those that listings need.
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["actor", "created_at"])]

    def __str__(self):
        return f"{self.public_id} {self.outcome}"
