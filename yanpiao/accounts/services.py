"""Accounts: sign-up, confirmation of e-mail and phone, password reset, data export, deletion.

A user signs up with an e-mail address or a mainland mobile number, a password and consent to
the privacy notice, and confirms the address by a link (valid 30 minutes) or the number by a
6-digit code (valid 10 minutes).  A password is reset the same way: a link by e-mail, a code by
text message.  Links and codes are :class:`~yanpiao.accounts.models.OneTimeCode` rows: only a
keyed sha256 (HMAC) of the secret is stored, each is used at most once (claimed under
``select_for_update``), a new one supersedes the earlier ones, a code dies after
:data:`MAX_ATTEMPTS` wrong guesses, and no more than :data:`SENDS_PER_WINDOW` are sent per
account and purpose in :data:`SEND_WINDOW`.

Nothing here tells whether an address is registered: signing up with a registered address
sends a notice to that address instead, and a reset request answers the same either way.

Functions take plain arguments and ``now`` (for tests and batch jobs); they raise
:class:`CodeInvalid` for a wrong, used or expired secret and
:class:`~django.core.exceptions.ValidationError` for a password the validators refuse.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import re
import secrets
import smtplib

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from yanpiao.accounts.models import (
    OneTimeCode,
    Organisation,
    Role,
    User,
    email_index,
    looks_like_email,
    normalize_email,
    normalize_phone,
    phone_index,
)
from yanpiao.accounts.sms import send_sms
from yanpiao.security import audit
from yanpiao.security.fields import keyed_digest

logger = logging.getLogger(__name__)

Purpose = OneTimeCode.Purpose

PRIVACY_NOTICE_VERSION = "2025-06"
CODE_VALIDITY = datetime.timedelta(minutes=10)
LINK_VALIDITY = datetime.timedelta(minutes=30)
MAX_ATTEMPTS = 5
SENDS_PER_WINDOW = 5
SEND_WINDOW = datetime.timedelta(hours=1)

MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
SUBJECT_PREFIX = "验票 Yanpiao："


class CodeInvalid(Exception):
    """A code or link is wrong, used, superseded or expired (which one is not told)."""

    message = "验证码或链接无效或已过期。The code or link is invalid or has expired."

    def __str__(self):
        return self.message


# --- addresses ---------------------------------------------------------------------------------


def parse_login(login: str) -> tuple[str, str]:
    """``("email", address)`` or ``("phone", number)``, normalised; ValidationError otherwise."""
    if looks_like_email(login):
        address = normalize_email(login)
        validate_email(address)
        return "email", address
    number = normalize_phone(login)
    if not MAINLAND_MOBILE.fullmatch(number):
        raise ValidationError("请输入邮箱地址或 11 位手机号。Enter an e-mail address or a mobile number.")
    return "phone", number


def login_confirmed(user: User, login: str) -> bool:
    """Whether the address the user logs in with has been confirmed."""
    return bool(user.email_confirmed_at if looks_like_email(login) else user.phone_confirmed_at)


def lockout_key(request, credentials) -> str | None:
    """What django-axes counts failures by (``AXES_USERNAME_CALLABLE``): the login's blind index.

    So "+86 138-0013-8000" and "13800138000" share one counter, and axes stores no address in
    plaintext.  After a successful log-in axes passes ``user.get_username()``, which is already
    the e-mail address's blind index (``USERNAME_FIELD``); it is used as it is.
    """
    if credentials:
        # Django's user_login_failed signal names it "username"; axes itself uses its form field.
        login = credentials.get("username") or credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        login = getattr(request, "POST", {}).get("username")
    if not login:
        return None
    if re.fullmatch(r"[0-9a-f]{32}", login):
        return login
    return email_index(login) if looks_like_email(login) else phone_index(login)


def _lockout_keys(user: User) -> list[str]:
    return [key for key in (user.email_index, user.phone_index) if key]


def forget_failed_logins(user: User) -> None:
    """The account's failed log-ins no longer count: it logged in, or a reset proved the address.

    Only the account's own failures, from any address.  axes's ``AXES_RESET_ON_SUCCESS`` would
    also forget every failure from the client's IP address, those against other accounts too,
    so whoever owns an account could log in to it between guesses at another's.
    """
    AccessAttempt.objects.filter(username__in=_lockout_keys(user)).delete()


# --- one-time codes and links ------------------------------------------------------------------


def _digest(secret: str) -> str:
    return keyed_digest(secret.encode(), "one-time code")


def _issue(user: User, purpose: str, *, link: bool, now: datetime.datetime) -> str | None:
    """A new secret for ``user`` and ``purpose``, or None when too many were sent lately.

    A link's secret is ``<row id>-<43 random characters>``; a code is 6 digits.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issuer at a time per user
        codes = OneTimeCode.objects.filter(user=user, purpose=purpose)
        if codes.filter(created_at__gt=now - SEND_WINDOW).count() >= SENDS_PER_WINDOW:
            logger.warning("%s for user %s not sent: too many in the last hour", purpose, user.pk)
            return None
        # An earlier secret stops working when a new one is sent ("used" by being superseded).
        codes.filter(used_at__isnull=True).update(used_at=now)
        secret = secrets.token_urlsafe(32) if link else f"{secrets.randbelow(10**6):06d}"
        code = OneTimeCode.objects.create(
            user=user,
            purpose=purpose,
            digest=_digest(secret),
            created_at=now,
            expires_at=now + (LINK_VALIDITY if link else CODE_VALIDITY),
        )
    return f"{code.pk}-{secret}" if link else secret


def _live(codes, now):
    return codes.filter(used_at__isnull=True, expires_at__gt=now)


def _check(candidate: OneTimeCode | None, secret: str, now: datetime.datetime) -> OneTimeCode | None:
    """``candidate`` if ``secret`` matches it; a mismatch counts as an attempt. Call in a transaction."""
    digest = _digest(secret or "")
    if candidate is None:
        return None
    if hmac.compare_digest(candidate.digest, digest):
        return candidate
    candidate.attempts += 1
    if candidate.attempts >= MAX_ATTEMPTS:
        candidate.used_at = now
    candidate.save(update_fields=["attempts", "used_at"])
    return None


def _link_candidate(token: str, purpose: str, now: datetime.datetime, *, lock: bool):
    row_id, _, secret = (token or "").partition("-")
    if not row_id.isdigit() or not secret:
        return None, ""
    codes = OneTimeCode.objects.select_related("user")
    if lock:
        codes = codes.select_for_update(of=("self",))
    return _live(codes.filter(pk=int(row_id), purpose=purpose), now).first(), secret


def _code_candidate(user: User | None, purpose: str, now: datetime.datetime) -> OneTimeCode | None:
    if user is None:
        return None
    codes = OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose)
    return _live(codes, now).order_by("-created_at", "-pk").first()


def _use(code: OneTimeCode, now: datetime.datetime) -> None:
    code.used_at = now
    code.save(update_fields=["used_at"])


def link_user(token: str, purpose: str, now: datetime.datetime | None = None) -> User | None:
    """The user a live link belongs to, without using it up (to show the page the link opens)."""
    now = now or timezone.now()
    candidate, secret = _link_candidate(token, purpose, now, lock=False)
    if candidate is None or not hmac.compare_digest(candidate.digest, _digest(secret)):
        return None
    return candidate.user


# --- delivery ----------------------------------------------------------------------------------


def _absolute(site_url: str, path: str) -> str:
    return site_url.rstrip("/") + path


def _mail(address: str, subject: str, template: str, context: dict) -> None:
    body = render_to_string(f"accounts/mail/{template}.txt", context)
    try:
        send_mail(SUBJECT_PREFIX + subject, body, None, [address])
    except (smtplib.SMTPException, OSError):
        # The page answers the same either way; the user can ask again, operators see the log.
        logger.exception("mail (%s) could not be sent", template)


def _text(phone: str, text: str) -> None:
    try:
        send_sms(phone, f"【验票】{text}")
    except OSError:
        logger.exception("text message could not be sent")


def _notice_allowed(kind: str, address_index: str) -> bool:
    """At most SENDS_PER_WINDOW notices of a kind per address per window (they carry no code)."""
    key = f"accounts:notice:{kind}:{address_index}"
    cache.add(key, 0, timeout=int(SEND_WINDOW.total_seconds()))
    try:
        return cache.incr(key) <= SENDS_PER_WINDOW
    except ValueError:  # expired between add and incr
        return True


def send_email_confirmation(user: User, site_url: str, now: datetime.datetime | None = None) -> None:
    token = _issue(user, Purpose.CONFIRM_EMAIL, link=True, now=now or timezone.now())
    if token:
        link = _absolute(site_url, reverse("accounts:confirm_email", args=[token]))
        context = {"link": link, "minutes": int(LINK_VALIDITY.total_seconds() // 60)}
        _mail(user.email, "确认您的邮箱 Confirm your e-mail address", "confirm_email", context)


def send_phone_confirmation(user: User, now: datetime.datetime | None = None) -> None:
    code = _issue(user, Purpose.CONFIRM_PHONE, link=False, now=now or timezone.now())
    if code:
        minutes = int(CODE_VALIDITY.total_seconds() // 60)
        _text(user.phone, f"您的手机验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。")


def send_confirmation(user: User, login: str, site_url: str, now: datetime.datetime | None = None) -> None:
    """A new link or code for the address ``login`` names (the one the user tries to log in with)."""
    if looks_like_email(login):
        send_email_confirmation(user, site_url, now)
    else:
        send_phone_confirmation(user, now)


# --- sign-up and confirmation ------------------------------------------------------------------


def register(
    login: str, password: str, *, consent: bool, site_url: str, now: datetime.datetime | None = None
) -> User | None:
    """A new, unconfirmed user, and a confirmation link or code sent to ``login``.

    For an address that is already registered, no user: a notice goes to that address instead,
    and the caller answers exactly as for a new one.  The password is hashed either way, so the
    time taken does not tell the two apart.
    """
    if not consent:
        raise ValidationError("注册需要同意隐私声明。Consent to the privacy notice is required.")
    now = now or timezone.now()
    kind, address = parse_login(login)
    contact = {kind: address}
    password_validation.validate_password(password, User(**contact))
    user = None
    if User.objects.find_by_login(address) is None:
        try:
            with transaction.atomic():
                user = User(**contact, privacy_consent_at=now, privacy_notice_version=PRIVACY_NOTICE_VERSION)
                user.set_password(password)
                user.save()
        except IntegrityError:  # registered a moment ago by a concurrent request
            user = None
    if user is None:
        make_password(password)
        _notify_already_registered(kind, address, site_url)
        return None
    send_confirmation(user, address, site_url, now)
    return user


def create_account(
    *,
    email: str = "",
    phone: str = "",
    password: str,
    role: str = Role.TAXPAYER,
    display_name: str = "",
    organisation: Organisation | None = None,
    now: datetime.datetime | None = None,
) -> User:
    """An account the operator vouches for (an administrator, the demo accounts).

    Its addresses count as confirmed and no message is sent; an admin is also Django staff
    and superuser.  The caller validates the password (demo accounts share a known one).
    """
    now = now or timezone.now()
    admin = role == Role.ADMIN
    return User.objects.create_user(
        email or None,
        password,
        phone=phone or None,
        role=role,
        display_name=display_name,
        organisation=organisation,
        is_staff=admin,
        is_superuser=admin,
        email_confirmed_at=now if email else None,
        phone_confirmed_at=now if phone else None,
        privacy_consent_at=now,
    )


def _notify_already_registered(kind: str, address: str, site_url: str) -> None:
    index = email_index(address) if kind == "email" else phone_index(address)
    if not _notice_allowed("already-registered", index):
        return
    if kind == "email":
        context = {
            "login_link": _absolute(site_url, reverse("accounts:login")),
            "reset_link": _absolute(site_url, reverse("accounts:password_reset")),
        }
        _mail(address, "此邮箱已注册 This address is already registered", "already_registered", context)
    else:
        _text(address, "有人尝试用本手机号注册，但它已注册过。如是本人，请直接登录或重设密码。")


def confirm_email(token: str, now: datetime.datetime | None = None) -> User:
    now = now or timezone.now()
    with transaction.atomic():
        candidate, secret = _link_candidate(token, Purpose.CONFIRM_EMAIL, now, lock=True)
        code = _check(candidate, secret, now)
        if code is not None:
            _use(code, now)
            user = code.user
            user.email_confirmed_at = now
            user.save(update_fields=["email_confirmed_at"])
            audit.record(
                audit.Action.ACCOUNT_CONTACT_CONFIRM,
                actor=user,
                target=audit.target(user),
                detail={"contact": "email"},
            )
    if code is None:
        raise CodeInvalid
    return user


def confirm_phone(phone: str, code: str, now: datetime.datetime | None = None) -> User:
    now = now or timezone.now()
    user = User.objects.find_by_login(normalize_phone(phone)) if phone else None
    with transaction.atomic():
        matched = _check(_code_candidate(user, Purpose.CONFIRM_PHONE, now), code, now)
        if matched is not None:
            _use(matched, now)
            user.phone_confirmed_at = now
            user.save(update_fields=["phone_confirmed_at"])
            audit.record(
                audit.Action.ACCOUNT_CONTACT_CONFIRM,
                actor=user,
                target=audit.target(user),
                detail={"contact": "phone"},
            )
    if matched is None:
        raise CodeInvalid
    return user


def resend_phone_confirmation(phone: str, now: datetime.datetime | None = None) -> None:
    """A new code, if ``phone`` belongs to a user who has not confirmed it yet; silence otherwise."""
    user = User.objects.find_by_login(normalize_phone(phone)) if phone else None
    if user is not None and user.phone and not user.phone_confirmed_at:
        send_phone_confirmation(user, now)


# --- passwords ---------------------------------------------------------------------------------


def request_password_reset(login: str, site_url: str, now: datetime.datetime | None = None) -> None:
    """A reset link by e-mail or a reset code by text message, if ``login`` is registered."""
    now = now or timezone.now()
    user = User.objects.find_by_login(login)
    if user is None or not user.is_active:
        return
    if looks_like_email(login):
        token = _issue(user, Purpose.RESET_PASSWORD, link=True, now=now)
        if token:
            link = _absolute(site_url, reverse("accounts:password_reset_link", args=[token]))
            context = {"link": link, "minutes": int(LINK_VALIDITY.total_seconds() // 60)}
            _mail(user.email, "重设密码 Reset your password", "reset_password", context)
    else:
        code = _issue(user, Purpose.RESET_PASSWORD, link=False, now=now)
        if code:
            minutes = int(CODE_VALIDITY.total_seconds() // 60)
            _text(user.phone, f"您正在重设密码，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。")


def reset_password_with_link(token: str, password: str, now: datetime.datetime | None = None) -> User:
    """Set a new password with an e-mailed link; the link also confirms the e-mail address."""
    now = now or timezone.now()
    with transaction.atomic():
        candidate, secret = _link_candidate(token, Purpose.RESET_PASSWORD, now, lock=True)
        code = _check(candidate, secret, now)
        refused = _set_password(code, password, "email_confirmed_at", now) if code else None
    if code is None:
        raise CodeInvalid
    if refused:
        raise refused
    _password_reset(code.user)
    return code.user


def reset_password_with_code(
    phone: str, code: str, password: str, now: datetime.datetime | None = None
) -> User:
    """Set a new password with a texted code; the code also confirms the phone number."""
    now = now or timezone.now()
    user = User.objects.find_by_login(normalize_phone(phone)) if phone else None
    with transaction.atomic():
        matched = _check(_code_candidate(user, Purpose.RESET_PASSWORD, now), code, now)
        refused = _set_password(matched, password, "phone_confirmed_at", now) if matched else None
    if matched is None:
        raise CodeInvalid
    if refused:
        raise refused
    _password_reset(user)
    return user


def _set_password(code: OneTimeCode, password: str, confirmed_field: str, now) -> ValidationError | None:
    """Use ``code`` to set ``password``; the validators' refusal (the code stays usable) or None.

    The password is checked against the user only once the secret matched, so that a refusal
    ("too similar to your e-mail address") does not tell an outsider the account exists.
    """
    user = code.user
    try:
        password_validation.validate_password(password, user)
    except ValidationError as refusal:
        return refusal
    _use(code, now)
    user.set_password(password)
    setattr(user, confirmed_field, getattr(user, confirmed_field) or now)
    user.save(update_fields=["password", confirmed_field])
    return None


def _password_reset(user: User) -> None:
    # Every session of the user ends by itself: its auth hash was derived from the old password.
    forget_failed_logins(user)
    password_changed(user, how="reset")


def password_changed(user: User, how: str = "change") -> None:
    """Record the change and tell the user, on their confirmed e-mail address or else their phone."""
    audit.record(
        audit.Action.ACCOUNT_PASSWORD_CHANGE, actor=user, target=audit.target(user), detail={"how": how}
    )
    if user.email and user.email_confirmed_at:
        _mail(user.email, "密码已更改 Your password was changed", "password_changed", {})
    elif user.phone:
        _text(user.phone, "您的密码刚刚已更改。如非本人操作，请立即重设密码。")


# --- closing the account -------------------------------------------------------------------


def delete_account(user: User) -> None:
    """Delete the user; their verifications stay in the history without an actor.

    Should another table protect the row, the account is closed instead: deactivated, its
    password made unusable, its contact data replaced by a placeholder, its secrets deleted.
    """
    keys, user_id = _lockout_keys(user), user.pk
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.delete()
            how = "deleted"
        except ProtectedError:
            _erase(user)
            how = "closed"
        AccessLog.objects.filter(username__in=keys).delete()
        audit.record(audit.Action.ACCOUNT_DELETE, target=audit.target(User, user_id), detail={"how": how})


def _erase(user: User) -> None:
    user.api_tokens.all().delete()
    user.one_time_codes.all().delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"  # the table requires an e-mail or a phone
    user.phone = ""
    user.display_name = ""
    user.email_confirmed_at = user.phone_confirmed_at = None
    user.organisation = None
    user.is_active = False
    user.set_unusable_password()
    user.save()
