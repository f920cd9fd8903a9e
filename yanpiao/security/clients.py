"""Who is asking: the client address of a request, the one way every counter and lock-out reads it.

Directly, the address is the connection's (``REMOTE_ADDR``); nothing the client sends can change
it.  Behind a reverse proxy (``YANPIAO_BEHIND_PROXY``) every connection is the proxy's, and the
client is the last address in ``X-Forwarded-For``: the one the proxy itself appended (earlier
ones are whatever the client claimed).  django-axes asks here too (``AXES_CLIENT_IP_CALLABLE``).
"""

import ipaddress

from django.conf import settings


def address(request) -> str | None:
    """The client's IP address, or None when the request carries no usable one."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.YANPIAO_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        candidate = forwarded or candidate
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except ValueError:
        return None
