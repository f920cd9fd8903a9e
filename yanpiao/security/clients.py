"""Who is asking: the client address of a request, resolved the one way the log-in lock-out does.

django-axes resolves it (``REMOTE_ADDR`` unless ``AXES_IPWARE_*`` settings name trusted proxies),
so a throttle and the lock-out always count the same address.
"""

from axes.helpers import get_client_ip_address


def address(request) -> str | None:
    """The client's IP address, or None when the request carries none."""
    return get_client_ip_address(request)
