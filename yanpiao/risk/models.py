"""What the risk rules and the model remember between verifications.

- :class:`Presentation`: who presented a registered invoice (an organisation, or an account
  outside any), for ``duplicate_reimbursement``;
- :class:`InvoiceMark`: what was said of an invoice outside a verification (reported by a user,
  a forged certificate of one of its checks);
- :class:`SellerProfile`: a seller's history (amounts, issuing rate, amounts near a limit),
  recomputed by each training;
- :class:`ModelVersion` and :class:`InvoiceScore`: the trained model, versioned, and its score of
  every registered invoice with the features that weigh most.

Windows of counts (mismatches, not_found) live in the shared counters of
:mod:`yanpiao.security.throttle`, under keyed digests.
"""

from django.db import models
from django.utils import timezone

from yanpiao.risk import codes


class Presentation(models.Model):
    """One presenter of one registered invoice: ``presenter`` is a keyed digest of
    ``org:<organisation's tax-ID index>`` or ``account:<id>``, never a name."""

    invoice = models.ForeignKey(
        "registry.Invoice", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    presenter = models.CharField(max_length=64)
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "presenter"], name="risk_presentation_unique")
        ]

    def __str__(self):
        return f"invoice {self.invoice_id} by {self.presenter[:8]}: {self.count}"


class InvoiceMark(models.Model):
    """Something said of a registered invoice outside a verification, counted by kind."""

    class Kind(models.TextChoices):
        REPORTED_BY_USER = codes.REPORTED_BY_USER
        FORGED_CERTIFICATE = codes.FORGED_CERTIFICATE

    invoice = models.ForeignKey(
        "registry.Invoice", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    count = models.PositiveIntegerField(default=1)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "kind"], name="risk_invoice_mark_unique")]

    def __str__(self):
        return f"invoice {self.invoice_id}: {self.kind} x{self.count}"


class SellerProfile(models.Model):
    """A seller's history as the last training saw it."""

    seller = models.OneToOneField(
        "registry.Party", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    invoices = models.PositiveIntegerField()
    amount_log_mean = models.FloatField()  # of ln(total)
    amount_log_std = models.FloatField()
    daily_mean = models.FloatField()  # invoices per day it issued any
    busiest_day_ratio = models.FloatField()  # its busiest day of the last week over daily_mean
    near_limit_share = models.FloatField()  # share of its invoices just under an issuance limit
    abnormal_invoices = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"seller {self.seller_id}: {self.invoices} invoices"


class ModelVersion(models.Model):
    """One trained model: the pickled estimator, vouched for by a keyed digest (it is loaded only
    when the digest matches), with what it was trained on and how long it took."""

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField(default=timezone.now)
    invoices = models.PositiveIntegerField()
    seconds = models.FloatField()
    features = models.JSONField()  # the feature names, in the estimator's column order
    params = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    blob = models.BinaryField()
    active = models.BooleanField(default=False)

    def __str__(self):
        return f"risk model v{self.version}"


class InvoiceScore(models.Model):
    """The model's score of a registered invoice (0–100) and its top features, by name."""

    invoice = models.OneToOneField(
        "registry.Invoice", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveIntegerField()
    score = models.PositiveSmallIntegerField()
    top_features = models.JSONField(default=list)

    def __str__(self):
        return f"invoice {self.invoice_id}: {self.score} (v{self.version})"
