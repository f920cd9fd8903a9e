"""Ratings of a verification's result and reports of a suspicious invoice, kept for the support work.

Both hang on the verification they are about; a report names the registered invoice through it
(``verification.invoice_id``), so the reports about one invoice are
``SuspiciousReport.objects.filter(verification__invoice_id=…)``.  What the user wrote (a comment,
details) may hold names or phone numbers, so it is stored encrypted
(:mod:`yanpiao.security.fields`) and never written to the audit log.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yanpiao.security.fields import EncryptedModel, EncryptedTextField

LOWEST, HIGHEST = 1, 5
# What a service is rated on, 1–5 each, besides the overall score: a check's result and a closed ticket alike.
ASPECTS = {
    "speed": _("速度"),
    "accuracy": _("准确"),
    "ease_of_use": _("易用"),
    "service": _("服务"),
}
COMMENT_LENGTH = 1000
DETAILS_LENGTH = 2000


def aspect_field(aspect: str) -> models.PositiveSmallIntegerField:
    """The optional 1–5 score of one aspect (ASPECTS), for any model rating a service."""
    return models.PositiveSmallIntegerField(
        ASPECTS[aspect],
        null=True,
        blank=True,
        validators=[MinValueValidator(LOWEST), MaxValueValidator(HIGHEST)],
    )


class Rating(EncryptedModel):
    """How a verifier rates the result of one check: a score of 1 to 5, perhaps with a comment.

    One per verification and rater: rating again replaces it."""

    verification = models.ForeignKey(
        "verification.Verification", on_delete=models.CASCADE, related_name="ratings"
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    score = models.PositiveSmallIntegerField(
        _("评分"), validators=[MinValueValidator(LOWEST), MaxValueValidator(HIGHEST)]
    )
    comment = EncryptedTextField(
        _("意见"), blank=True, default="", validators=[MaxLengthValidator(COMMENT_LENGTH)]
    )
    # Per aspect (ASPECTS), each optional.
    speed = aspect_field("speed")
    accuracy = aspect_field("accuracy")
    ease_of_use = aspect_field("ease_of_use")
    service = aspect_field("service")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=LOWEST, score__lte=HIGHEST), name="feedback_rating_score_1_to_5"
            ),
            models.UniqueConstraint(fields=["verification", "rater"], name="feedback_rating_one_per_rater"),
        ]

    def __str__(self):
        return f"{self.verification_id}: {self.score}"


class Reason(models.TextChoices):
    FORGED = "forged", _("疑似假票")
    DUPLICATE_CLAIM = "duplicate_claim", _("疑似重复报销")
    DIFFERS_FROM_PAPER = "differs_from_paper", _("信息与实物不符")
    OTHER = "other", _("其他")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已处理")


class SuspiciousReport(EncryptedModel):
    """A verifier's report that the invoice behind a check looks suspicious, for support to handle."""

    verification = models.ForeignKey(
        "verification.Verification", on_delete=models.CASCADE, related_name="suspicious_reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suspicious_reports",
    )
    reason = models.CharField(_("举报原因"), max_length=20, choices=Reason.choices)
    details = EncryptedTextField(
        _("详细说明"), blank=True, default="", validators=[MaxLengthValidator(DETAILS_LENGTH)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)

    def __str__(self):
        return f"{self.verification_id}: {self.reason}"
