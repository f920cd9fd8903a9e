"""Reading rendered pages in tests."""

import contextlib
import re

from csp.exceptions import CSPNonceError


def page_without_secrets(response) -> str:
    """The page less what differs on every answer by design: the CSP nonce and the masked CSRF
    tokens (two answers that must not tell two cases apart compare equal through this)."""
    page = response.content.decode()
    with contextlib.suppress(CSPNonceError):  # raised when the page used no nonce
        page = page.replace(str(response.wsgi_request.csp_nonce), "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
