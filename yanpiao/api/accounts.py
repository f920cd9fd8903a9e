"""Accounts for apps: ``/auth`` (sign-up, confirmation, log-in, log-out, password reset) and
``/tokens`` (the caller's API tokens).  Thin adapters over :mod:`yanpiao.accounts.services`
and :mod:`yanpiao.accounts.tokens`, with the web pages' rules:

- nothing tells whether an address is registered: sign-up and reset requests answer the same
  either way, a failed log-in answers one message for an unknown login and a wrong password;
- the same limits per client address and destination (429 with ``Retry-After``), and wrong
  codes or links count against the client's address;
- log-in goes through django-axes (failures counted per login and address, and per address;
  the failure that reaches the limit and every try after it answer 429 ``locked_out``) and is
  audited like the web's (``user_logged_in`` / ``user_login_failed``);
- an address that is not confirmed yet cannot log in: a new link or code is sent, and the
  answer is 403 ``unconfirmed`` (only to whoever knows the password);
- auditors and admins send a code from their authenticator app (``otp``); one who has not set
  up two-factor authentication does so on the web first.

Log-in answers a bearer token (30 days) carrying the user's scopes and ``account``.  Token
management (``/tokens``) needs a session or a token carrying ``account``, that is a log-in
token: a token made for an integration cannot make more tokens, and ``POST /tokens`` never
grants ``account`` to a bearer caller.  Log-out revokes the token it is called with (or ends
the session), whatever its scopes.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import authenticate, logout, password_validation
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.http.multipartparser import MultiPartParserError
from ninja import Path, Schema, Status
from pydantic import Field

from yanpiao.access import visibility
from yanpiao.accounts import services, tokens, twofactor
from yanpiao.accounts.models import ApiToken, User
from yanpiao.api import routers
from yanpiao.api.callers import Caller, anyone, signed_in
from yanpiao.api.errors import ApiError, Error, too_many
from yanpiao.security import throttle

ERRORS = {400: Error, 401: Error, 403: Error, 429: Error}
TOKEN_ERRORS = {**ERRORS, 404: Error}
MAX_PASSWORD = 1024
MAX_ID = 2**63 - 1
CODE = re.compile(r"\d{6}")
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # a name stored as typed: no control characters (nor NUL)

LOGIN = Field(..., min_length=1, max_length=254, description="e-mail address or mainland mobile number")
PASSWORD = Field(..., min_length=1, max_length=MAX_PASSWORD)
LINK_TOKEN = Field(
    None, max_length=500, description="the token of the e-mailed link (its last part), or the whole link"
)
PHONE = Field(None, max_length=32, description="the mobile number the code was texted to")
SMS_CODE = Field(None, max_length=16, description="the 6-digit code")

CODE_INVALID = ("code_invalid", services.CodeInvalid.message)
BAD_LOGIN = (
    "invalid_credentials",
    "邮箱/手机号或密码不正确。The login or the password is not correct.",
)


# --- shapes ------------------------------------------------------------------------------------


class SignupIn(Schema):
    login: str = LOGIN
    password: str = PASSWORD
    consent: bool = Field(False, description="consent to the privacy notice (/accounts/privacy/): required")


class ConfirmIn(Schema):
    """An e-mail address's link token, or a phone number and its code."""

    token: str | None = LINK_TOKEN
    phone: str | None = PHONE
    code: str | None = SMS_CODE


class LoginIn(Schema):
    login: str = LOGIN
    password: str = PASSWORD
    otp: str | None = Field(None, max_length=16, description="authenticator code (auditors and admins)")
    device: str | None = Field(
        None, max_length=40, pattern=PRINTABLE, description="names the token: app login DATE (DEVICE)"
    )


class ResetRequestIn(Schema):
    login: str = LOGIN


class ResetIn(Schema):
    """A new password, with the e-mailed link's token or the texted code."""

    password: str = PASSWORD
    token: str | None = LINK_TOKEN
    phone: str | None = PHONE
    code: str | None = SMS_CODE


class Pending(Schema):
    """The same answer whether or not the address is registered."""

    status: str  # confirmation_sent, reset_requested
    channel: str  # email or phone
    message: str


class Done(Schema):
    status: str  # confirmed, password_reset
    message: str


class LoginAnswer(Schema):
    token: str
    token_type: str
    id: int
    scopes: list[str]
    expires_at: datetime.datetime


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    state: str  # active, expired, revoked


class TokenCreated(TokenOut):
    secret: str = Field(..., description="shown once: it is not stored and cannot be shown again")


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=tokens.NAME_LENGTH, pattern=PRINTABLE)
    scopes: list[Literal[tuple(tokens.SCOPES)]] = Field(..., min_length=1, max_length=len(tokens.SCOPES))
    days: int = Field(tokens.DEFAULT_DAYS, ge=1, le=tokens.MAX_DAYS)


# --- helpers -----------------------------------------------------------------------------------


def invalid(field: str, error: ValidationError | str, code: str = "invalid_request") -> ApiError:
    message = " ".join(error.messages) if isinstance(error, ValidationError) else error
    return ApiError(400, code, message, {field: message})


def parse_login(login: str) -> tuple[str, str]:
    try:
        return services.parse_login(login)
    except ValidationError as error:
        raise invalid("login", error) from None


def check_password(password: str, user: User | None) -> None:
    """The password validators; with no user, the rules that need no account."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise invalid("password", error, "password_refused") from None


def link_token(value: str) -> str:
    """A link's token, from the token or from the whole link (``…/<token>/``)."""
    value = (value or "").strip()
    if "/" in value:
        segments = [part for part in urlsplit(value).path.split("/") if part]
        value = segments[-1] if segments else ""
    return value


def sms_code(body) -> tuple[str, str]:
    """The phone number and code of ``body``, or 400 naming what is missing or malformed."""
    missing = {name: "required" for name in ("phone", "code") if not (getattr(body, name) or "").strip()}
    if missing:
        raise ApiError(
            400,
            "invalid_request",
            "请提供链接令牌，或手机号与验证码。Send the link's token, or the phone number and the code.",
            missing,
        )
    code = "".join(body.code.split())
    if not CODE.fullmatch(code):
        raise invalid("code", "验证码是 6 位数字。The code has 6 digits.")
    return body.phone.strip(), code


def by_channel(channel: str, by_email: str, by_phone: str) -> str:
    return by_email if channel == "email" else by_phone


# --- sign-up and confirmation ------------------------------------------------------------------

SIGNUP_SENT = (
    "我们已向该邮箱发送邮件，请按其中的说明确认；确认链接 30 分钟内有效。"
    "We sent a message to this address; follow it to confirm (the link is valid 30 minutes).",
    "我们已向该手机号发送短信；如有验证码，10 分钟内有效，请用 /auth/confirm 提交。"
    "We sent a text message to this number; submit its code to /auth/confirm within 10 minutes.",
)


@routers.auth.post("/signup", response={202: Pending, **ERRORS}, auth=anyone, url_name="auth_signup")
def signup(request, body: SignupIn):
    """Sign up with an e-mail address or a mobile number; a link or a code follows to confirm it.

    The answer is the same when the address is already registered (its owner gets a notice).
    """
    caller: Caller = request.auth
    if not body.consent:
        raise invalid("consent", "注册需要同意隐私声明。Consent to the privacy notice is required.")
    kind, address = parse_login(body.login)
    check_password(body.password, User(**{kind: address}))
    try:
        services.register(address, body.password, consent=True, client=caller.address)
    except throttle.Exceeded as exceeded:
        raise too_many(exceeded.retry_after) from None
    except ValidationError as error:
        raise invalid("password", error) from None
    return Status(
        202,
        {
            "status": "confirmation_sent",
            "channel": kind,
            "message": by_channel(kind, *SIGNUP_SENT),
        },
    )


@routers.auth.post("/confirm", response={200: Done, **ERRORS}, auth=anyone, url_name="auth_confirm")
def confirm(request, body: ConfirmIn):
    """Confirm an e-mail address with its link's token, or a phone number with its code."""
    caller: Caller = request.auth
    try:
        if (body.token or "").strip():
            field, what = "token", "邮箱已确认，请登录。The e-mail address is confirmed; log in."
            services.confirm_email(link_token(body.token), client=caller.address)
        else:
            phone, code = sms_code(body)
            field, what = "code", "手机号已确认，请登录。The phone number is confirmed; log in."
            services.confirm_phone(phone, code, client=caller.address)
    except services.CodeInvalid:
        raise ApiError(400, *CODE_INVALID, {field: CODE_INVALID[1]}) from None
    except throttle.Exceeded as exceeded:
        raise too_many(exceeded.retry_after) from None
    return {"status": "confirmed", "message": what}


# --- log-in and log-out ------------------------------------------------------------------------


def _locked_out(request) -> ApiError | None:
    """429 if django-axes refused or locked this log-in; its middleware then leaves the answer alone."""
    if not getattr(request, "axes_locked_out", False):
        return None
    request.axes_locked_out = False  # else AxesMiddleware swaps the answer for the log-in page
    seconds = round(settings.AXES_COOLOFF_TIME * 3600)
    minutes = max(1, round(seconds / 60))
    return ApiError(
        429,
        "locked_out",
        f"登录失败次数过多，请 {minutes} 分钟后再试，或重设密码。"
        f"Too many failed log-ins; try again in {minutes} minutes, or reset the password.",
        headers={"Retry-After": str(seconds)},
    )


def _failed(request, login: str) -> ApiError:
    """A failed second factor counts as a failed log-in: for the lock-out and in the audit log."""
    user_login_failed.send(sender=__name__, credentials={"username": login}, request=request)
    return _locked_out(request) or ApiError(
        401, "invalid_otp", "验证码不正确。The authenticator code is not correct.", {"otp": "not correct"}
    )


def _form_readable(request) -> None:
    """django-axes reads a failed log-in's form data: a body claiming to be a form that is not
    one is refused here (400), not met there (500)."""
    try:
        request.POST  # noqa: B018 (parsed for its errors)
    except (MultiPartParserError, SuspiciousOperation, BadRequest):
        raise ApiError(
            400,
            "invalid_request",
            "请求体应为 JSON（Content-Type: application/json）。Send the body as JSON.",
        ) from None


def _second_factor(request, user: User, login: str, otp: str | None) -> None:
    device = twofactor.confirmed_device(user)
    if device is None:
        raise ApiError(
            403,
            "two_factor_setup_required",
            "请先在网页上设置两步验证（身份验证器应用）。"
            "Set up two-factor authentication (an authenticator app) on the web site first.",
        )
    code = "".join((otp or "").split())
    if not code:
        raise ApiError(
            400,
            "otp_required",
            "请输入身份验证器应用中的验证码。Send the code of your authenticator app as otp.",
            {"otp": "required"},
        )
    if not device.verify_token(code):  # django-otp slows down repeated wrong codes too
        raise _failed(request, login)


@routers.auth.post("/login", response={200: LoginAnswer, **ERRORS}, auth=anyone, url_name="auth_login")
def login(request, body: LoginIn):
    """Log in with an e-mail address or a mobile number and the password; answers a bearer token.

    Auditors and admins also send ``otp``, a code from their authenticator app.
    """
    caller: Caller = request.auth
    _form_readable(request)
    user = authenticate(request, username=body.login, password=body.password)
    if user is None:
        raise _locked_out(request) or ApiError(401, *BAD_LOGIN)
    if not services.login_confirmed(user, body.login):
        services.send_confirmation(user, body.login)
        raise ApiError(
            403,
            "unconfirmed",
            "请先确认此邮箱或手机号：我们刚刚重新发送了确认链接或验证码。"
            "Confirm this address first: a new link or code was just sent.",
        )
    if user.needs_two_factor:
        _second_factor(request, user, body.login, body.otp)
    token, secret = tokens.create_login_token(user, body.device)
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    services.forget_failed_logins(user, caller.address)
    return {
        "token": secret,
        "token_type": "Bearer",
        "id": token.pk,
        "scopes": token.scopes,
        "expires_at": token.expires_at,
    }


@routers.auth.post("/logout", response={204: None, **ERRORS}, auth=signed_in, url_name="auth_logout")
def log_out(request):
    """Revoke the bearer token of this call; or, called with the session, end the session."""
    caller: Caller = request.auth
    if caller.token is not None:
        tokens.revoke(caller.token, by=caller.user)
    else:
        logout(request)
    return Status(204, None)


# --- password reset ----------------------------------------------------------------------------

RESET_SENT = (
    "如果该邮箱已注册，重设链接已发送，30 分钟内有效。"
    "If this address is registered, a reset link is on its way (valid 30 minutes).",
    "如果该手机号已注册，验证码已发送，10 分钟内有效；请用 /auth/password-reset/complete 提交。"
    "If this number is registered, a code is on its way (valid 10 minutes); "
    "submit it to /auth/password-reset/complete.",
)


@routers.auth.post(
    "/password-reset", response={202: Pending, **ERRORS}, auth=anyone, url_name="auth_password_reset"
)
def password_reset(request, body: ResetRequestIn):
    """Ask for a reset link (e-mail) or code (text message); the same answer for any address."""
    caller: Caller = request.auth
    kind, address = parse_login(body.login)
    try:
        services.request_password_reset(address, client=caller.address)
    except throttle.Exceeded as exceeded:
        raise too_many(exceeded.retry_after) from None
    return Status(
        202, {"status": "reset_requested", "channel": kind, "message": by_channel(kind, *RESET_SENT)}
    )


@routers.auth.post(
    "/password-reset/complete",
    response={200: Done, **ERRORS},
    auth=anyone,
    url_name="auth_password_reset_complete",
)
def password_reset_complete(request, body: ResetIn):
    """Set a new password with the e-mailed link's token, or the phone number and texted code.

    Every session of the user ends; the user's API tokens stay (revoke them under /tokens).
    """
    caller: Caller = request.auth
    check_password(body.password, None)  # the rules that need no account; the rest once proved
    try:
        if (body.token or "").strip():
            field = "token"
            services.reset_password_with_link(link_token(body.token), body.password, client=caller.address)
        else:
            phone, code = sms_code(body)
            field = "code"
            services.reset_password_with_code(phone, code, body.password, client=caller.address)
    except services.CodeInvalid:
        raise ApiError(400, *CODE_INVALID, {field: CODE_INVALID[1]}) from None
    except ValidationError as error:
        raise invalid("password", error, "password_refused") from None
    except throttle.Exceeded as exceeded:
        raise too_many(exceeded.retry_after) from None
    return {
        "status": "password_reset",
        "message": "密码已重设，请用新密码登录。The password is reset; log in.",
    }


# --- tokens ------------------------------------------------------------------------------------


def token_json(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "state": tokens.state(token),
    }


def _token_error_field(message: str) -> str:
    for word, field in (("name", "name"), ("scope", "scopes"), ("day", "days")):
        if word in message:
            return field
    return "body"


@routers.tokens.get("", response={200: list[TokenOut], **TOKEN_ERRORS}, auth=signed_in, url_name="tokens")
def token_list(request):
    """The caller's tokens, newest first; never their secrets."""
    caller: Caller = request.auth
    caller.require(tokens.ACCOUNT_SCOPE)
    return [token_json(token) for token in tokens.tokens_of(caller.user)]


@routers.tokens.post(
    "", response={201: TokenCreated, **TOKEN_ERRORS}, auth=signed_in, url_name="token_create"
)
def token_create(request, body: TokenIn):
    """A new token; its secret is in this answer only."""
    caller: Caller = request.auth
    caller.require(tokens.ACCOUNT_SCOPE)
    if caller.token is not None and tokens.ACCOUNT_SCOPE in body.scopes:
        raise invalid(
            "scopes",
            f"令牌不能授予 {tokens.ACCOUNT_SCOPE} 权限。"
            f"A token cannot grant {tokens.ACCOUNT_SCOPE}: log in or use the web site.",
        )
    try:
        token, secret = tokens.create_token(caller.user, body.name, body.scopes, body.days)
    except tokens.TokenError as error:
        raise invalid(_token_error_field(str(error)), str(error)) from None
    return Status(201, {**token_json(token), "secret": secret})


@routers.tokens.post(
    "/{token_id}/revoke", response={200: TokenOut, **TOKEN_ERRORS}, auth=signed_in, url_name="token_revoke"
)
def token_revoke(request, token_id: int = Path(..., ge=1, le=MAX_ID)):
    """Revoke one of the caller's tokens (an admin may revoke anyone's); revoking twice is harmless."""
    caller: Caller = request.auth
    caller.require(tokens.ACCOUNT_SCOPE)
    token = visibility.token_for(caller.user, token_id, to_revoke=True)
    return token_json(tokens.revoke(token, by=caller.user))
