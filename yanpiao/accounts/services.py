"""Accounts: sign-up, confirmation of e-mail and phone, password reset, data export, deletion.

A user signs up with an e-mail address or a mainland mobile number, a password and consent to
the privacy notice, and confirms the address by a link (valid 30 minutes) or the number by a
6-digit code (valid 10 minutes).  A password is reset the same way: a link by e-mail, a code by
text message.  Links and codes are :class:`~yanpiao.accounts.models.OneTimeCode` rows: only a
keyed sha256 (HMAC) of the secret is stored, each is used at most once (claimed under
``select_for_update``), a new one supersedes the earlier ones, a code dies after
:data:`MAX_ATTEMPTS` wrong guesses, and no more than :data:`SENDS_PER_WINDOW` are sent per
account and purpose in :data:`SEND_WINDOW`.  A link is ``<public id>-<secret>``: the public id
is random, and a wrong secret does not count against the link (its 256 bits cannot be guessed;
counting would let anyone burn a stranger's link) but against the guesser's client address.

Nothing here tells whether an address is registered: signing up with a registered address
sends a notice to that address instead, and a reset request answers the same either way and
does the same work either way: it only queues the request, which looks the account up after
the response (:mod:`yanpiao.accounts.delivery`).  Mail and text messages leave through that
queue too, and every link in them starts with ``settings.YANPIAO_SITE_URL``, never with the
host a request named.

Limits (:mod:`yanpiao.security.throttle`, shared by every process), each per hour, set in
settings: sign-ups and reset requests per client address and per destination (the e-mail
address or phone number), wrong codes and links per client address.  Over a limit a function
raises :class:`~yanpiao.security.throttle.Exceeded` and sends nothing.

Functions take plain arguments, ``client`` (the client's IP address, :func:`yanpiao.security.clients.address`;
None counts as one unknown client) and ``now`` (for tests and batch jobs); they raise
:class:`CodeInvalid` for a wrong, used or expired secret and
:class:`~django.core.exceptions.ValidationError` for a password the validators refuse.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import re
import secrets

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from yanpiao.accounts import delivery
from yanpiao.accounts.models import (
    Job,
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
from yanpiao.security import audit, throttle
from yanpiao.security.fields import keyed_digest

logger = logging.getLogger(__name__)

Purpose = OneTimeCode.Purpose

PRIVACY_NOTICE_VERSION = "2025-06"
CODE_VALIDITY = datetime.timedelta(minutes=10)
LINK_VALIDITY = datetime.timedelta(minutes=30)
MAX_ATTEMPTS = 5
SENDS_PER_WINDOW = 5
SEND_WINDOW = datetime.timedelta(hours=1)
NOTICE_VALIDITY = datetime.timedelta(days=1)  # how long a notice without a code may wait in the queue
LIMIT_WINDOW = datetime.timedelta(hours=1)
NOTICE_LIMIT = throttle.Limit("accounts.notice.already-registered", SENDS_PER_WINDOW, SEND_WINDOW)

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


def forget_failed_logins(user: User, address: str | None = None) -> None:
    """The account's failed log-ins no longer count: from ``address``, which logged in to it, or
    from every address when a reset proved the e-mail address or phone number (``None``).

    Only the account's own failures.  axes's ``AXES_RESET_ON_SUCCESS`` would also forget every
    failure from the client's IP address, those against other accounts too, so whoever owns an
    account could log in to it between guesses at another's.  And a log-in forgets only its own
    address's: the owner logging in elsewhere leaves an attacker's address locked.
    """
    attempts = AccessAttempt.objects.filter(username__in=_lockout_keys(user))
    if address is not None:
        attempts = attempts.filter(ip_address=address)
    attempts.delete()


# --- limits ------------------------------------------------------------------------------------


def _limit(name: str, setting: str) -> throttle.Limit:
    return throttle.Limit(f"accounts.{name}", getattr(settings, setting), LIMIT_WINDOW)


def _count_request(what: str, client: str | None, kind: str, address: str, now) -> None:
    """One more sign-up or reset request from ``client`` for ``address``; Exceeded over a limit."""
    setting = f"YANPIAO_{what.upper()}"
    throttle.hit(_limit(f"{what}.client", f"{setting}_ADDRESS_LIMIT"), throttle.address_key(client), now=now)
    throttle.hit(_limit(f"{what}.destination", f"{setting}_DESTINATION_LIMIT"), kind, address, now=now)


def count_wrong_guess(client: str | None, now: datetime.datetime | None = None) -> None:
    """A wrong code or link from ``client``; :class:`~yanpiao.security.throttle.Exceeded` once it
    has guessed wrong ``YANPIAO_CODE_GUESS_LIMIT`` times this hour."""
    limit = _limit("guess.client", "YANPIAO_CODE_GUESS_LIMIT")
    throttle.hit(limit, throttle.address_key(client), now=now)


# --- one-time codes and links ------------------------------------------------------------------


def _digest(secret: str) -> str:
    return keyed_digest(secret.encode(), "one-time code")


def _issue(user: User, purpose: str, *, link: bool, now: datetime.datetime) -> str | None:
    """A new secret for ``user`` and ``purpose``, or None when too many were sent lately.

    A link's secret is ``<public id>-<43 random characters>``; a code is 6 digits.
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
    return f"{code.public_id}-{secret}" if link else secret


def _live(codes, now):
    return codes.filter(used_at__isnull=True, expires_at__gt=now)


def _check(
    candidate: OneTimeCode | None, secret: str, now: datetime.datetime, *, count: bool = True
) -> OneTimeCode | None:
    """``candidate`` if ``secret`` matches it; a mismatch counts as an attempt against it (a code's,
    not a link's: see the module's docstring) when ``count``. Call in a transaction."""
    digest = _digest(secret or "")
    if candidate is None:
        return None
    if hmac.compare_digest(candidate.digest, digest):
        return candidate
    if not count:
        return None
    candidate.attempts += 1
    if candidate.attempts >= MAX_ATTEMPTS:
        candidate.used_at = now
    candidate.save(update_fields=["attempts", "used_at"])
    return None


PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


def _link_candidate(token: str, purpose: str, now: datetime.datetime, *, lock: bool):
    public_id, _, secret = (token or "").partition("-")
    if not PUBLIC_ID.fullmatch(public_id) or not secret:
        return None, ""
    codes = OneTimeCode.objects.select_related("user")
    if lock:
        codes = codes.select_for_update(of=("self",))
    return _live(codes.filter(public_id=public_id, purpose=purpose), now).first(), secret


def _code_candidate(user: User | None, purpose: str, now: datetime.datetime) -> OneTimeCode | None:
    if user is None:
        return None
    codes = OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose)
    return _live(codes, now).order_by("-created_at", "-pk").first()


def _use(code: OneTimeCode, now: datetime.datetime) -> None:
    code.used_at = now
    code.save(update_fields=["used_at"])


def link_user(
    token: str, purpose: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> User | None:
    """The user a live link belongs to, without using it up (to show the page the link opens).

    A wrong link counts as a wrong guess of ``client``'s (Exceeded over the limit).
    """
    now = now or timezone.now()
    candidate, secret = _link_candidate(token, purpose, now, lock=False)
    if candidate is None or not hmac.compare_digest(candidate.digest, _digest(secret)):
        count_wrong_guess(client, now)
        return None
    return candidate.user


# --- delivery ----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    """The link to ``path`` on the configured site (``YANPIAO_SITE_URL``), whatever a request said."""
    return settings.YANPIAO_SITE_URL.rstrip("/") + path


def _mail(address: str, subject: str, template: str, context: dict, *, valid=NOTICE_VALIDITY, now=None):
    """Queue a mail; it leaves after the response, and a failure is retried (delivery)."""
    body = render_to_string(f"accounts/mail/{template}.txt", context)
    delivery.enqueue_mail(address, SUBJECT_PREFIX + subject, body, valid=valid, now=now)


def _text(phone: str, text: str, *, valid=NOTICE_VALIDITY, now=None) -> None:
    delivery.enqueue_text(phone, f"【验票】{text}", valid=valid, now=now)


def _notice_allowed(kind: str, address: str, now: datetime.datetime) -> bool:
    """At most SENDS_PER_WINDOW notices per address per window (they carry no code)."""
    try:
        throttle.hit(NOTICE_LIMIT, kind, address, now=now)
    except throttle.Exceeded:
        return False
    return True


def send_email_confirmation(user: User, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    token = _issue(user, Purpose.CONFIRM_EMAIL, link=True, now=now)
    if token:
        link = _absolute(reverse("accounts:confirm_email", args=[token]))
        context = {"link": link, "minutes": int(LINK_VALIDITY.total_seconds() // 60)}
        subject = "确认您的邮箱 Confirm your e-mail address"
        _mail(user.email, subject, "confirm_email", context, valid=LINK_VALIDITY, now=now)


def send_phone_confirmation(user: User, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    code = _issue(user, Purpose.CONFIRM_PHONE, link=False, now=now)
    if code:
        minutes = int(CODE_VALIDITY.total_seconds() // 60)
        text = f"您的手机验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。"
        _text(user.phone, text, valid=CODE_VALIDITY, now=now)


def send_confirmation(user: User, login: str, now: datetime.datetime | None = None) -> None:
    """A new link or code for the address ``login`` names (the one the user tries to log in with)."""
    if looks_like_email(login):
        send_email_confirmation(user, now)
    else:
        send_phone_confirmation(user, now)


# --- sign-up and confirmation ------------------------------------------------------------------


def register(
    login: str,
    password: str,
    *,
    consent: bool,
    client: str | None = None,
    now: datetime.datetime | None = None,
) -> User | None:
    """A new, unconfirmed user, and a confirmation link or code sent to ``login``.

    For an address that is already registered, no user: a notice goes to that address instead,
    and the caller answers exactly as for a new one.  The password is hashed either way, so the
    time taken does not tell the two apart.  Sign-ups are limited per client address and per
    ``login`` (:class:`~yanpiao.security.throttle.Exceeded`, nothing sent).
    """
    if not consent:
        raise ValidationError("注册需要同意隐私声明。Consent to the privacy notice is required.")
    now = now or timezone.now()
    kind, address = parse_login(login)
    contact = {kind: address}
    password_validation.validate_password(password, User(**contact))
    _count_request("signup", client, kind, address, now)
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
        _notify_already_registered(kind, address, now)
        return None
    send_confirmation(user, address, now)
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


def _notify_already_registered(kind: str, address: str, now: datetime.datetime) -> None:
    if not _notice_allowed(kind, address, now):
        return
    if kind == "email":
        context = {
            "login_link": _absolute(reverse("accounts:login")),
            "reset_link": _absolute(reverse("accounts:password_reset")),
        }
        subject = "此邮箱已注册 This address is already registered"
        _mail(address, subject, "already_registered", context, now=now)
    else:
        _text(address, "有人尝试用本手机号注册，但它已注册过。如是本人，请直接登录或重设密码。", now=now)


def confirm_email(token: str, *, client: str | None = None, now: datetime.datetime | None = None) -> User:
    now = now or timezone.now()
    with transaction.atomic():
        candidate, secret = _link_candidate(token, Purpose.CONFIRM_EMAIL, now, lock=True)
        code = _check(candidate, secret, now, count=False)
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
        count_wrong_guess(client, now)
        raise CodeInvalid
    return user


def confirm_phone(
    phone: str, code: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> User:
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
        count_wrong_guess(client, now)
        raise CodeInvalid
    return user


def resend_phone_confirmation(
    phone: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> None:
    """A new code, if ``phone`` belongs to a user who has not confirmed it yet; silence otherwise.

    Counted against the client's sign-up limit (the account's own limit bounds the codes sent).
    """
    now = now or timezone.now()
    limit = _limit("signup.client", "YANPIAO_SIGNUP_ADDRESS_LIMIT")
    throttle.hit(limit, throttle.address_key(client), now=now)
    user = User.objects.find_by_login(normalize_phone(phone)) if phone else None
    if user is not None and user.phone and not user.phone_confirmed_at:
        send_phone_confirmation(user, now)


# --- passwords ---------------------------------------------------------------------------------


def request_password_reset(
    login: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> None:
    """Queue a reset request for ``login``: a link by e-mail or a code by text message follows
    after the response, if ``login`` is registered (:func:`run_password_reset`).

    The request does the same work whether the address is registered or not: it only counts
    the limits and queues a job; the account is looked up after the response.
    """
    now = now or timezone.now()
    kind, address = parse_login(login)
    _count_request("reset", client, kind, address, now)
    delivery.enqueue(Job.Kind.PASSWORD_RESET, {"login": address}, valid=CODE_VALIDITY, now=now)


def run_password_reset(data: dict, now: datetime.datetime) -> None:
    """The queued part of a reset request (a delivery handler): the link or code, if registered."""
    login = data["login"]
    user = User.objects.find_by_login(login)
    if user is None or not user.is_active:
        return
    if looks_like_email(login):
        token = _issue(user, Purpose.RESET_PASSWORD, link=True, now=now)
        if token:
            link = _absolute(reverse("accounts:password_reset_link", args=[token]))
            context = {"link": link, "minutes": int(LINK_VALIDITY.total_seconds() // 60)}
            subject = "重设密码 Reset your password"
            _mail(user.email, subject, "reset_password", context, valid=LINK_VALIDITY, now=now)
    else:
        code = _issue(user, Purpose.RESET_PASSWORD, link=False, now=now)
        if code:
            minutes = int(CODE_VALIDITY.total_seconds() // 60)
            text = f"您正在重设密码，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。"
            _text(user.phone, text, valid=CODE_VALIDITY, now=now)


def reset_password_with_link(
    token: str, password: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> User:
    """Set a new password with an e-mailed link; the link also confirms the e-mail address."""
    now = now or timezone.now()
    with transaction.atomic():
        candidate, secret = _link_candidate(token, Purpose.RESET_PASSWORD, now, lock=True)
        code = _check(candidate, secret, now, count=False)
        refused = _set_password(code, password, "email_confirmed_at", now) if code else None
    if code is None:
        count_wrong_guess(client, now)
        raise CodeInvalid
    if refused:
        raise refused
    _password_reset(code.user)
    return code.user


def reset_password_with_code(
    phone: str, code: str, password: str, *, client: str | None = None, now: datetime.datetime | None = None
) -> User:
    """Set a new password with a texted code; the code also confirms the phone number."""
    now = now or timezone.now()
    user = User.objects.find_by_login(normalize_phone(phone)) if phone else None
    with transaction.atomic():
        matched = _check(_code_candidate(user, Purpose.RESET_PASSWORD, now), code, now)
        refused = _set_password(matched, password, "phone_confirmed_at", now) if matched else None
    if matched is None:
        count_wrong_guess(client, now)
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
    forget_failed_logins(user)  # from every address: the reset proved the address or number
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
    """Delete the user; their verifications stay in the history without an actor, and their
    ratings and reports stay for the support work without the text they wrote.

    Should another table protect the row, the account is closed instead: deactivated, its
    password made unusable, its contact data replaced by a placeholder, its secrets deleted.
    """
    keys, user_id = _lockout_keys(user), user.pk
    with transaction.atomic():
        # What they wrote may name them; the scores and reasons are kept, unattributed.
        user.ratings.update(comment="")
        user.suspicious_reports.update(details="")
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
