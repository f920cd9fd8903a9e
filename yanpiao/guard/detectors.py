"""What the request guard looks for, one small detector each, with its threshold from settings.

- **scanner**: known probe paths (``/.env``, ``/wp-admin``, ``*.php`` …) — ``YANPIAO_GUARD_PROBE_PATHS``
  of them — or a burst of 404s — ``YANPIAO_GUARD_NOT_FOUND_PAGES`` — from one address;
- **payload_probe**: injection strings (SQL, script, path traversal, template/JNDI) or a field
  longer than ``YANPIAO_GUARD_FIELD_MAX_CHARS`` in the path, the query string or a form or JSON
  body of at most ``YANPIAO_GUARD_INSPECT_BYTES`` — ``YANPIAO_GUARD_PAYLOAD_PROBES`` requests
  carrying one, from one address;
- **enumeration**: ``YANPIAO_GUARD_ENUMERATION_NOT_FOUND`` checks of unregistered invoices by one
  account (or one address, when nobody is signed in) that are at least
  ``YANPIAO_GUARD_ENUMERATION_SHARE`` percent of its checks: a script walking invoice numbers
  finds almost nothing, a finance system checking its receipts almost everything;
- **credential_stuffing**: failed log-ins to ``YANPIAO_GUARD_LOGIN_ACCOUNTS`` distinct accounts
  from one address (one account's own failures are django-axes' lock-out).

All in fixed windows of ``YANPIAO_GUARD_WINDOW_MINUTES`` (10) in the shared counters of
:mod:`yanpiao.security.throttle` (keyed digests; every process sees the same numbers).  Addresses
in ``YANPIAO_GUARD_ALLOW`` (the departments' networks) are never counted nor blocked.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import logging
import re
from urllib.parse import unquote_plus

from django.conf import settings

from yanpiao.guard import services
from yanpiao.guard.models import Block
from yanpiao.security import clients, throttle
from yanpiao.security.signals import login_index

logger = logging.getLogger(__name__)
Reason = Block.Reason

PROBE_PREFIXES = (
    "/.env", "/.git", "/.svn", "/.hg", "/.aws", "/.ssh", "/.ds_store", "/.htaccess", "/.htpasswd",
    "/wp-admin", "/wp-login", "/wp-content", "/wp-includes", "/xmlrpc", "/phpmyadmin", "/pma/",
    "/myadmin", "/mysql", "/cgi-bin", "/server-status", "/actuator", "/solr/", "/jenkins",
    "/vendor/phpunit", "/boaform", "/hnap1", "/etc/passwd", "/_ignition", "/telescope", "/owa/",
)  # fmt: skip
PROBE_SUFFIXES = (".php", ".asp", ".aspx", ".jsp", ".cgi", ".bak", ".sql", ".ini", "/config.json")

# Injection strings: distinctive enough that a person typing an invoice, a comment or a company
# name does not write them.
PAYLOAD = re.compile(
    r"\bunion\b[\s/*+]+(?:all[\s/*+]+)?select\b"
    r"|['\"`]\s*(?:or|and)\s+['\"`]?\w+['\"`]?\s*(?:=|like)\s*['\"`]?\w+"
    r"|;\s*(?:drop|truncate|alter)\s+table\b"
    r"|\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d"
    r"|\bwaitfor\s+delay\b|\binformation_schema\b|\bxp_cmdshell\b"
    r"|<\s*script\b|javascript\s*:|<[^>]+\bon(?:error|load|mouseover|focus)\s*="
    r"|(?:\.\.[/\\]){2,}|/etc/(?:passwd|shadow)|\x00"
    r"|\$\{\s*jndi\s*:|\{\{\s*\d+\s*\*\s*\d+\s*\}\}",
    re.IGNORECASE,
)
FORM = "application/x-www-form-urlencoded"
OUTCOMES = re.compile(rb'(?:data-outcome="|"outcome":\s*")(\w+)"')
CONTENT_MAX = 4 * 1024 * 1024  # a verification answer larger than this is not read for outcomes
# The views whose answer is a verification's outcome (their names, as the URL resolver knows them).
VERIFYING_VIEWS = frozenset(
    {"web:home", "web:verify", "web:upload", "web:scan", "api:verify", "api:verify_qr", "api:verify_files"}
)


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=max(1, int(settings.YANPIAO_GUARD_WINDOW_MINUTES)))


def limit(name: str, setting: str) -> throttle.Limit:
    return throttle.Limit(f"guard.{name}", int(getattr(settings, setting)), window())


# --- who is never counted ------------------------------------------------------------------------


@functools.cache
def _networks(allow: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in allow)


def allowed(address: str | None) -> bool:
    """Whether ``address`` is in a trusted network of ``YANPIAO_GUARD_ALLOW``."""
    if not address:
        return False
    networks = _networks(tuple(settings.YANPIAO_GUARD_ALLOW))
    if not networks:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


# --- looking at a request ------------------------------------------------------------------------


def probe_path(path: str) -> bool:
    """Whether ``path`` is one a scanner asks for and this site never had."""
    path = (unquote_plus(path) if "%" in path else path).lower()
    return path.startswith(PROBE_PREFIXES) or path.endswith(PROBE_SUFFIXES)


def payload_probe(request) -> str:
    """What in the request looks like an attack (``"injection"``, ``"oversized"``), or ``""``."""
    texts = [request.path, unquote_plus(request.META.get("QUERY_STRING", ""))]
    texts.extend(_body_values(request))
    longest = int(settings.YANPIAO_GUARD_FIELD_MAX_CHARS)
    for text in texts:
        if len(text) > longest:
            return "oversized"
        if PAYLOAD.search(text):
            return "injection"
    return ""


def _body_values(request) -> list[str]:
    """The values of a small form or JSON body (nothing of an upload or a large body)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return []
    kind = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if kind not in (FORM, "application/json"):
        return []
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return []
    if not 0 < length <= int(settings.YANPIAO_GUARD_INSPECT_BYTES):
        return []
    text = request.body.decode("utf-8", "replace")
    if kind == FORM:
        return [unquote_plus(part) for pair in text.split("&") for part in pair.split("=", 1)]
    try:
        return list(_strings(json.loads(text)))
    except ValueError:
        return []


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def outcomes(request, response) -> list[str]:
    """The outcomes a verifying view answered (none for any other view)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in VERIFYING_VIEWS or response.streaming:
        return []
    if request.method != "POST" and not request.GET:  # the empty form: nothing was verified
        return []
    if response.status_code != 200 or len(response.content) > CONTENT_MAX:
        return []
    return [found.decode() for found in OUTCOMES.findall(response.content) if found != b"refused"]


# --- counting: each returns the block it made, or None -----------------------------------------


def _counted(address: str) -> str:
    return throttle.address_key(address)


def scanner_probe(address: str) -> Block | None:
    """One request for a probe path from ``address``."""
    seen = throttle.tally(limit("probe_paths", "YANPIAO_GUARD_PROBE_PATHS"), _counted(address))
    if seen >= settings.YANPIAO_GUARD_PROBE_PATHS:
        return _block(address, Reason.SCANNER, f"{seen} requests for probe paths in {_minutes()} minutes")
    return None


def not_found_page(address: str) -> Block | None:
    """One 404 answered to ``address``."""
    seen = throttle.tally(limit("not_found_pages", "YANPIAO_GUARD_NOT_FOUND_PAGES"), _counted(address))
    if seen >= settings.YANPIAO_GUARD_NOT_FOUND_PAGES:
        return _block(address, Reason.SCANNER, f"{seen} pages not found in {_minutes()} minutes")
    return None


def payload(address: str, what: str) -> Block | None:
    """One request carrying an attack string (``what``) from ``address``."""
    seen = throttle.tally(limit("payload_probes", "YANPIAO_GUARD_PAYLOAD_PROBES"), _counted(address))
    if seen >= settings.YANPIAO_GUARD_PAYLOAD_PROBES:
        return _block(
            address,
            Reason.PAYLOAD_PROBE,
            f"{seen} requests with attack strings ({what}) in {_minutes()} minutes",
        )
    return None


def enumeration(address: str | None, account_id: int | None, answered: list[str]) -> Block | None:
    """Checks answered to an account (or, anonymous, an address), ``answered`` their outcomes."""
    watcher = f"account:{account_id}" if account_id is not None else f"address:{_counted(address or '')}"
    if not answered or (account_id is None and not address):
        return None
    checks = throttle.tally(
        limit("checks", "YANPIAO_GUARD_ENUMERATION_NOT_FOUND"), watcher, times=len(answered)
    )
    missing = answered.count("not_found")
    if not missing:
        return None
    found_none = throttle.tally(
        limit("not_found_checks", "YANPIAO_GUARD_ENUMERATION_NOT_FOUND"), watcher, times=missing
    )
    if (
        found_none < settings.YANPIAO_GUARD_ENUMERATION_NOT_FOUND
        or found_none * 100 < settings.YANPIAO_GUARD_ENUMERATION_SHARE * checks
    ):
        return None
    summary = f"{found_none} of {checks} checks of unregistered invoices in {_minutes()} minutes"
    if account_id is not None:
        return services.block_account(account_id, Reason.ENUMERATION, summary)[0]
    return _block(address, Reason.ENUMERATION, summary)


def login_failed(sender, credentials, request=None, **kwargs) -> None:
    """``user_login_failed``: one failed log-in; counts the distinct accounts tried per address
    (a failure to count is logged: the log-in's answer does not depend on it)."""
    if request is None or not settings.YANPIAO_GUARD_ENABLED:
        return
    try:
        _count_login_failure(request, credentials)
    except Exception:
        logger.exception("guard: a failed log-in could not be counted")


def _count_login_failure(request, credentials) -> None:
    address = clients.address(request)
    index = login_index(credentials or {})
    if not address or not index or allowed(address):
        return
    counted = _counted(address)
    if throttle.tally(limit("login_pairs", "YANPIAO_GUARD_LOGIN_ACCOUNTS"), counted, index) != 1:
        return  # this account was tried from here already in the window
    accounts = throttle.tally(limit("login_accounts", "YANPIAO_GUARD_LOGIN_ACCOUNTS"), counted)
    if accounts >= settings.YANPIAO_GUARD_LOGIN_ACCOUNTS:
        _block(
            address,
            Reason.CREDENTIAL_STUFFING,
            f"failed log-ins to {accounts} accounts in {_minutes()} minutes",
        )


def _block(address: str, reason: str, summary: str) -> Block:
    return services.block_address(address, reason, summary)[0]


def _minutes() -> int:
    return int(window().total_seconds() // 60)
