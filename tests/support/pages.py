"""Reading rendered pages in tests."""

import re


def page_without_secrets(response) -> str:
    """The page less what differs on every answer by design: the CSP nonce and the masked CSRF
    tokens (two answers that must not tell two cases apart compare equal through this)."""
    page = response.content.decode().replace(str(response.wsgi_request.csp_nonce), "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
