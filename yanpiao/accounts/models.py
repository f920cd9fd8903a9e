"""Users (an e-mail address, a phone number, or both), organisations, API tokens, one-time codes,
and the queue of work done after the response (mail, text messages, reset requests).

Contact data is encrypted (:mod:`yanpiao.security.fields`); log-in finds a user by the blind
index of the normalised e-mail address or phone number.
"""

from __future__ import annotations

import json
import re
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yanpiao.security.fields import EncryptedModel, EncryptedTextField, blind_index, tax_id_index

EMAIL_INDEX = "user email"
PHONE_INDEX = "user phone"


class Role(models.TextChoices):
    TAXPAYER = "taxpayer", "纳税人"
    ISSUER = "issuer", "开票方"
    AUDITOR = "auditor", "审计员"
    ADMIN = "admin", "管理员"


STAFF_ROLES = (Role.AUDITOR, Role.ADMIN)  # two-factor authentication is mandatory for these


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str | None) -> str:
    """Digits only, without the +86 / 0086 country prefix: ``+86 138-0013-8000`` → ``13800138000``."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def email_index(value: str | None) -> str | None:
    return blind_index(normalize_email(value), EMAIL_INDEX) or None


def phone_index(value: str | None) -> str | None:
    return blind_index(normalize_phone(value), PHONE_INDEX) or None


def looks_like_email(login: str) -> bool:
    return "@" in (login or "")


class Organisation(EncryptedModel):
    """A company whose members share a verification history; an issuer's is the seller."""

    name = EncryptedTextField(blank=True)
    tax_id = EncryptedTextField(blank=True)
    tax_id_index = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def save(self, *args, **kwargs):
        self.tax_id_index = tax_id_index(self.tax_id)
        return super().save(*args, **kwargs)

    def __str__(self):
        return self.name or f"organisation {self.pk}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email=None, password=None, *, phone=None, **extra):
        if not email and not phone:
            raise ValueError("a user needs an e-mail address or a phone number")
        user = self.model(email=normalize_email(email), phone=normalize_phone(phone), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, login):
        """Log-in accepts either the e-mail address or the phone number."""
        if looks_like_email(login):
            return self.get(email_index=email_index(login))
        return self.get(phone_index=phone_index(login))

    def find_by_login(self, login: str) -> User | None:
        try:
            return self.get_by_natural_key(login)
        except self.model.DoesNotExist:
            return None

    def active_by_login(self, login: str) -> User | None:
        """The active account with this e-mail address or phone (as an operator types it: ``--as``)."""
        user = self.find_by_login(login.strip())
        return user if user is not None and user.is_active else None


class User(EncryptedModel, AbstractBaseUser, PermissionsMixin):
    email = EncryptedTextField("e-mail address", blank=True, default="")
    email_index = models.CharField(max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001 (NULL: none, unique)
    phone = EncryptedTextField("phone number", blank=True, default="")
    phone_index = models.CharField(max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    display_name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TAXPAYER)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    privacy_consent_at = models.DateTimeField(null=True, blank=True)
    privacy_notice_version = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    # Who is changing this user's powers now, named in the audit entry of the change (not stored).
    changed_by: User | None = None

    # Log-in goes through UserManager.get_by_natural_key (e-mail or phone, by blind index).
    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email_index__isnull=False) | Q(phone_index__isnull=False),
                name="user_has_email_or_phone",
            )
        ]

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.phone = normalize_phone(self.phone)
        self.email_index = email_index(self.email)
        self.phone_index = phone_index(self.phone)
        return super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_auditor(self) -> bool:
        return self.role == Role.AUDITOR

    @property
    def is_issuer(self) -> bool:
        return self.role == Role.ISSUER

    @property
    def has_staff_role(self) -> bool:
        """An auditor or an admin: sees every verification, invoice and organisation, masked."""
        return self.role in STAFF_ROLES or self.is_superuser

    @property
    def needs_two_factor(self) -> bool:
        return self.has_staff_role

    def __str__(self):
        return self.display_name or self.email or self.phone or f"user {self.pk}"


class ApiToken(models.Model):
    """A token for apps and mini programs: shown once, stored as its sha256, scoped, expiring, revocable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="the first characters, to recognise the token")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


def new_public_id() -> str:
    """A random id for a row named in a link: 128 bits in hex (no ``-``, which ends it in a link)."""
    return secrets.token_hex(16)


class OneTimeCode(models.Model):
    """A single-use code or link secret sent by SMS or e-mail (stored as its sha256), with an expiry.

    A link names its row by ``public_id``, random, so that links cannot be counted or enumerated.
    """

    class Purpose(models.TextChoices):
        CONFIRM_EMAIL = "confirm_email"
        CONFIRM_PHONE = "confirm_phone"
        RESET_PASSWORD = "reset_password"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self):
        return f"{self.purpose} for user {self.user_id}"


class Job(EncryptedModel):
    """Work queued for after the response (:mod:`yanpiao.accounts.delivery`): a mail, a text
    message, a password-reset request.  The payload is JSON, encrypted: it holds addresses and
    live secrets.  A job is deleted once done."""

    class Kind(models.TextChoices):
        MAIL = "mail"
        TEXT = "text"
        PASSWORD_RESET = "password_reset"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    payload = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    run_after = models.DateTimeField(db_index=True)  # due from then; moved ahead while a taker runs it
    expires_at = models.DateTimeField()  # dropped, with an error in the log, if still undone then
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)  # the exception's class: no address

    def data(self) -> dict:
        return json.loads(self.payload)

    def __str__(self):
        return f"{self.kind} job {self.pk}"
