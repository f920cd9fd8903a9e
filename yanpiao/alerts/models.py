"""Alerts, their notes, and who is told of them: auditors by e-mail, other departments' systems by
signed webhooks (each attempt in the delivery log)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yanpiao.risk import codes
from yanpiao.security.fields import EncryptedModel, EncryptedTextField

MAX_EVIDENCE = 50  # verification ids kept on one alert; occurrences counts them all


class Severity(models.TextChoices):
    LOW = codes.LOW, _("低")
    MEDIUM = codes.MEDIUM, _("中")
    HIGH = codes.HIGH, _("高")


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}


class Alert(models.Model):
    """One thing worth a look, about one subject in one window: a repeat of the same kind about
    the same subject in the same window adds evidence to it instead of a new alert."""

    class Kind(models.TextChoices):
        DUPLICATE_REIMBURSEMENT = codes.DUPLICATE_REIMBURSEMENT, _("重复报销")
        INVALID_STATUS_PRESENTED = codes.INVALID_STATUS_PRESENTED, _("提交了作废、红冲或异常发票")
        FORGERY_PROBING = codes.FORGERY_PROBING, _("疑似伪造试探")
        ENUMERATION = codes.ENUMERATION, _("疑似批量枚举")
        AMOUNT_OUTLIER = codes.AMOUNT_OUTLIER, _("金额异常")
        ISSUANCE_BURST = codes.ISSUANCE_BURST, _("开票量突增")
        NEAR_LIMIT_AMOUNTS = codes.NEAR_LIMIT_AMOUNTS, _("金额贴近限额")
        SELLER_ABNORMAL = codes.SELLER_ABNORMAL, _("销售方异常")
        FORGED_CERTIFICATE = codes.FORGED_CERTIFICATE, _("伪造的查验证明")
        REPORTED_BY_USER = codes.REPORTED_BY_USER, _("用户举报")
        MODEL = codes.MODEL, _("模型识别的异常")
        # The request guard's (yanpiao.guard): attacks on the site itself, about an address.
        SCANNER = "scanner", _("扫描探测")
        CREDENTIAL_STUFFING = "credential_stuffing", _("撞库登录")
        PAYLOAD_PROBE = "payload_probe", _("恶意请求内容")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        RESOLVED = "resolved", _("已解决")
        FALSE_POSITIVE = "false_positive", _("误报")

    class Subject(models.TextChoices):
        INVOICE = "invoice", _("发票")
        ACCOUNT = "account", _("账号")
        ADDRESS = "address", _("地址")
        SELLER = "seller", _("销售方")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField(max_length=8, choices=Subject.choices)
    # The subject's id: an invoice's or a seller's row id, an account's id, an address's keyed digest.
    subject_key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    summary = models.CharField(max_length=300)  # plain words, nothing of another organisation
    evidence = models.JSONField(default=list)  # public ids of the verifications behind it
    occurrences = models.PositiveIntegerField(default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "subject_key", "window_start"], name="alerts_alert_one_per_window"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.kind} {self.subject}:{self.subject_key} ({self.status})"


class Note(EncryptedModel):
    """An auditor's note on an alert (may name people: encrypted), or a workflow step's record."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"note on alert {self.alert_id}"


class Subscription(models.Model):
    """An auditor who wants an e-mail of alerts of these kinds (all when empty), from this severity up."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kinds = models.JSONField(default=list)
    min_severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"subscription of {self.user_id}"


class Webhook(EncryptedModel):
    """Another department's system: alerts of these kinds (all when empty), from this severity up,
    POSTed as JSON and signed with HMAC-SHA256 under ``secret``."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = EncryptedTextField()
    kinds = models.JSONField(default=list)
    min_severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """One alert sent to one webhook: its attempts, their outcome, and when to try again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"alert {self.alert_id} to webhook {self.webhook_id}: {self.status}"
