"""Tables of the registry: parties, invoices, their lines and their status history.

The columns that hold the invoice's own fields come from its declaration in
:mod:`yanpiao.fapiao.invoice` through :func:`yanpiao.registry.columns.column` (which encrypts
personal data and secrets); :mod:`yanpiao.registry.convert` maps rows to the dataclasses.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from yanpiao.fapiao import invoice as fapiao
from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import STATUSES
from yanpiao.registry.columns import column
from yanpiao.security.fields import EncryptedModel


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
    name = column(fapiao.Party, "name")
    tax_id = column(fapiao.Party, "tax_id")
    tax_id_index = models.CharField(max_length=32, blank=True, db_index=True)
    address = column(fapiao.Party, "address")
    phone = column(fapiao.Party, "phone")
    bank = column(fapiao.Party, "bank")
    account = column(fapiao.Party, "account")

    class Meta:
        verbose_name_plural = "parties"

    def __str__(self):
        return self.name or self.tax_id


class Invoice(EncryptedModel):
    type = column(fapiao.Invoice, "type", max_length=2, choices=list(types.NAMES.items()))
    code = column(fapiao.Invoice, "code", max_length=12, blank=True)
    number = column(fapiao.Invoice, "number", max_length=20)
    issue_date = column(fapiao.Invoice, "issue_date")
    check_code = column(fapiao.Invoice, "check_code")  # proves possession: never in clear
    machine_no = column(fapiao.Invoice, "machine_no", max_length=12, blank=True)
    seller = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    amount = column(fapiao.Invoice, "amount")
    tax = column(fapiao.Invoice, "tax")
    total = column(fapiao.Invoice, "total")
    total_in_words = column(fapiao.Invoice, "total_in_words", max_length=60, blank=True)
    remarks = column(fapiao.Invoice, "remarks", blank=True)
    drawer = column(fapiao.Invoice, "drawer")  # 开票人, 收款人, 复核: people's names
    payee = column(fapiao.Invoice, "payee")
    reviewer = column(fapiao.Invoice, "reviewer")
    red_letter_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="red_letter_invoices"
    )
    status = column(fapiao.Invoice, "status", max_length=24, choices=Status.choices, default=Status.NORMAL)
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
    name = column(fapiao.Item, "name", max_length=200)
    tax_category_code = column(fapiao.Item, "tax_category_code", max_length=19, blank=True)
    spec = column(fapiao.Item, "spec", max_length=100, blank=True)
    unit = column(fapiao.Item, "unit", max_length=20, blank=True)
    quantity = column(fapiao.Item, "quantity")
    unit_price = column(fapiao.Item, "unit_price")
    amount = column(fapiao.Item, "amount")
    tax_rate = column(fapiao.Item, "tax_rate", max_length=12)
    tax = column(fapiao.Item, "tax")

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
