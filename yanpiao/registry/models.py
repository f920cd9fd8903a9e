"""Tables of the registry: parties, invoices, their lines and their status history.

The models mirror :mod:`yanpiao.fapiao.invoice`; :mod:`yanpiao.registry.convert` maps between them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import STATUSES
from yanpiao.security.fields import EncryptedModel, EncryptedTextField

AMOUNT = {"max_digits": 16, "decimal_places": 2}


class Status(models.TextChoices):
    NORMAL = "normal", "正常"
    VOIDED = "voided", "作废"
    RED_FLUSHED = "red_flushed", "已红冲"
    PARTIALLY_RED_FLUSHED = "partially_red_flushed", "部分红冲"
    ABNORMAL = "abnormal", "异常"


assert tuple(Status.values) == STATUSES


class Party(EncryptedModel):
    """A seller or buyer exactly as printed; identical parties are stored once.

    Every printed field is encrypted; ``tax_id_index`` finds a party by its tax ID and
    ``fingerprint`` (a keyed digest of all fields) recognises a party already stored.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    name = EncryptedTextField(blank=True, default="")
    tax_id = EncryptedTextField(blank=True, default="")
    tax_id_index = models.CharField(max_length=32, blank=True, db_index=True)
    address = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    bank = EncryptedTextField(blank=True, default="")
    account = EncryptedTextField(blank=True, default="")

    class Meta:
        verbose_name_plural = "parties"

    def __str__(self):
        return self.name or self.tax_id


class Invoice(EncryptedModel):
    type = models.CharField(max_length=2, choices=list(types.NAMES.items()))
    code = models.CharField(max_length=12, blank=True)
    number = models.CharField(max_length=20)
    issue_date = models.DateField()
    check_code = EncryptedTextField(blank=True, default="")  # proves possession: never in clear
    machine_no = models.CharField(max_length=12, blank=True)
    seller = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT)
    tax = models.DecimalField(**AMOUNT)
    total = models.DecimalField(**AMOUNT)
    total_in_words = models.CharField(max_length=60, blank=True)
    remarks = models.TextField(blank=True)
    # 开票人, 收款人, 复核: people's names, so encrypted like the parties.
    drawer = EncryptedTextField(blank=True, default="")
    payee = EncryptedTextField(blank=True, default="")
    reviewer = EncryptedTextField(blank=True, default="")
    red_letter_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="red_letter_invoices"
    )
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.NORMAL)
    # sha256 of the canonical invoice JSON: re-importing the same invoice is recognised cheaply.
    content_hash = models.CharField(max_length=64)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "number"], name="invoice_code_number_unique")]
        indexes = [models.Index(fields=["issue_date"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.code}/{self.number}" if self.code else self.number


class Item(models.Model):
    # No index of its own: the unique (invoice, line_no) constraint serves look-ups by invoice.
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items", db_index=False)
    line_no = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    tax_category_code = models.CharField(max_length=19, blank=True)
    spec = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # Quantity and unit price keep the precision printed (e.g. 8.849557522), hence text.
    quantity = models.CharField(max_length=40, blank=True)
    unit_price = models.CharField(max_length=40, blank=True)
    amount = models.DecimalField(**AMOUNT)
    tax_rate = models.CharField(max_length=12)
    tax = models.DecimalField(**AMOUNT)

    class Meta:
        ordering = ["invoice", "line_no"]
        constraints = [models.UniqueConstraint(fields=["invoice", "line_no"], name="item_line_unique")]

    def __str__(self):
        return f"{self.invoice_id}#{self.line_no} {self.name}"


class StatusChange(models.Model):
    """One change of an invoice's status: voided, red-flushed, flagged abnormal, ..."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=24, choices=Status.choices)
    previous_status = models.CharField(max_length=24, choices=Status.choices)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice", "changed_at", "id"]

    def __str__(self):
        return f"{self.invoice_id}: {self.previous_status} -> {self.status}"
