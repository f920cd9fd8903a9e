"""A block of the request guard: an address or an account refused until ``until`` (or lifted).

The subject is stored by a key, never in clear: an address by a keyed digest of how it is
counted (an IPv6 address by its /64, :func:`yanpiao.security.throttle.address_key`), an account
by its id.  ``label`` is what an operator sees: the address with its last part masked, or the
account's id.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Block(models.Model):
    class Subject(models.TextChoices):
        ADDRESS = "address", _("地址")
        ACCOUNT = "account", _("账号")

    class Reason(models.TextChoices):
        SCANNER = "scanner", _("扫描探测")
        ENUMERATION = "enumeration", _("疑似批量枚举")
        CREDENTIAL_STUFFING = "credential_stuffing", _("撞库登录")
        PAYLOAD_PROBE = "payload_probe", _("恶意请求内容")
        MANUAL = "manual", _("人工封禁")

    subject = models.CharField(max_length=16, choices=Subject.choices)
    subject_key = models.CharField(max_length=64)
    label = models.CharField(max_length=64)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    created_at = models.DateTimeField()
    until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["lifted_at", "until"]),
            models.Index(fields=["subject", "subject_key"]),
        ]

    def __str__(self):
        return f"{self.subject} {self.label} ({self.reason}) until {self.until:%Y-%m-%d %H:%M}"
