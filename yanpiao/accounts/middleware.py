"""Staff sessions end after 30 idle minutes and after 12 hours in all.

Auditors and admins (and ``is_staff`` users) see personal data, so their sessions are kept
short: :class:`StaffSessionMiddleware` stores when the session signed in and when it was
last used, and logs the user out once ``YANPIAO_STAFF_IDLE_SECONDS`` passed without a
request or ``YANPIAO_STAFF_ABSOLUTE_SECONDS`` since signing in.  Other users keep Django's
``SESSION_COOKIE_AGE``.  It comes after the authentication middleware.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url

from yanpiao.accounts.models import STAFF_ROLES

STARTED = "staff_session_started"
LAST_SEEN = "staff_session_last_seen"


def is_staff(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.role in STAFF_ROLES or user.is_staff or user.is_superuser)
    )


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_staff(getattr(request, "user", None)):
            now = time.time()
            session = request.session
            started = session.get(STARTED, now)
            idle = now - session.get(LAST_SEEN, now)
            if (
                idle > settings.YANPIAO_STAFF_IDLE_SECONDS
                or now - started > settings.YANPIAO_STAFF_ABSOLUTE_SECONDS
            ):
                logout(request)
                query = urlencode({"next": request.get_full_path(), "expired": 1})
                return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
            self.touch(session, started, now)
        response = self.get_response(request)
        if is_staff(getattr(request, "user", None)) and STARTED not in request.session:
            self.touch(request.session, time.time(), time.time())  # signed in by this request
        return response

    @staticmethod
    def touch(session, started: float, now: float) -> None:
        session[STARTED] = started
        session[LAST_SEEN] = now
        remaining = settings.YANPIAO_STAFF_ABSOLUTE_SECONDS - (now - started)
        session.set_expiry(max(1, int(min(settings.YANPIAO_STAFF_IDLE_SECONDS, remaining))))
