"""Two-factor authentication with TOTP (django-otp), mandatory for auditors and admins.

Setting up: :func:`pending_device` creates an unconfirmed TOTP device; the user scans its
``otpauth://`` URI (shown as a QR code, :func:`qr_svg`) into an authenticator app and proves
it works with a code (:func:`confirm`).  At each log-in the user enters a code again
(:func:`verify`); both mark the session as verified (``django_otp.login``).

:class:`TwoFactorRequiredMiddleware` (after django-otp's ``OTPMiddleware``) sends a signed-in
user who needs two-factor authentication (``User.needs_two_factor``) and whose session is not
verified to the set-up page (no confirmed device) or to the verify page, whatever page they
ask for, except those two pages, log-out, static files and /healthz.
"""

from __future__ import annotations

import contextlib
from base64 import b32encode
from urllib.parse import quote, urlencode

import django_otp
import segno
from django.conf import settings
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator"
SETUP_URL = "accounts:two_factor_setup"
VERIFY_URL = "accounts:two_factor_verify"
LOGOUT_URL = "accounts:logout"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user) -> TOTPDevice:
    """The user's unconfirmed device, created if there is none yet."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` URI an authenticator app scans; labelled with the e-mail or phone.

    (django-otp's ``config_url`` would label it with the username field, here a blind index.)
    """
    user = device.user
    issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "Yanpiao")).replace(":", "")
    account = user.email or user.phone or f"user {user.pk}"
    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode(),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{quote(f'{issuer}:{account}')}?{params}&issuer={quote(issuer)}"


def qr_svg(uri: str) -> str:
    """The URI as a QR code in inline SVG (no external image, so the CSP stays strict)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, title="TOTP")


def _normalise(code: str | None) -> str:
    return "".join((code or "").split())


def confirm(request, code: str) -> TOTPDevice | None:
    """Confirm the user's pending device with a code from the app; the session is then verified."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-id").first()
    if device is None or not device.verify_token(_normalise(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    django_otp.login(request, device)
    return device


def verify(request, code: str) -> TOTPDevice | None:
    """Check a code against the user's confirmed device at log-in; the session is then verified."""
    device = confirmed_device(request.user)
    if device is None or not device.verify_token(_normalise(code)):
        return None
    django_otp.login(request, device)
    return device


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def safe_next(request, default: str = "/") -> str:
    """The ``next`` page asked for, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else default


class TwoFactorRequiredMiddleware:
    """Keeps users who need two-factor authentication on the set-up or verify page until verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_two_factor
            and not is_verified(user)
            and not self.exempt(request.path)
        ):
            target = reverse(SETUP_URL if confirmed_device(user) is None else VERIFY_URL)
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def exempt(path: str) -> bool:
        # The app shell (manifest, service worker, offline page) is the same for everyone.
        exempt = {
            reverse(SETUP_URL),
            reverse(VERIFY_URL),
            "/healthz",
            "/manifest.webmanifest",
            "/sw.js",
            "/offline/",
        }
        with contextlib.suppress(NoReverseMatch):  # until the log-in pages are installed
            exempt.add(reverse(LOGOUT_URL))
        static = "/" + settings.STATIC_URL.lstrip("/")
        # The API answers for itself, in its error shape (yanpiao.api.callers).
        return path in exempt or path.startswith((static, "/api/"))
