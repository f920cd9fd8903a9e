"""The user model: one person, identified by an e-mail address, a phone number, or both."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    TAXPAYER = "taxpayer", "纳税人"
    ISSUER = "issuer", "开票方"
    AUDITOR = "auditor", "审计员"
    ADMIN = "admin", "管理员"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email=None, password=None, *, phone=None, **extra):
        if not email and not phone:
            raise ValueError("a user needs an e-mail address or a phone number")
        user = self.model(email=self.normalize_email(email) or None, phone=phone or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, login):
        """Log-in accepts either the e-mail address or the phone number."""
        return self.get(Q(email__iexact=login) | Q(phone=login))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True, null=True, blank=True)
    phone = models.CharField("phone number", max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.TAXPAYER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False), name="user_has_email_or_phone"
            )
        ]

    def __str__(self):
        return self.display_name or self.email or self.phone or f"user {self.pk}"
