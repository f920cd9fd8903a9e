"""Signed QR payloads: Yanpiao signs the QR payload of every invoice it registers, and checks
such signatures offline.

:func:`sign` appends a signature field to a standard payload (the format is in
:mod:`yanpiao.fapiao.qr` and docs/api.md, "Signed QR payloads"); :func:`check` says whether a
payload's signature is ``valid``, ``invalid`` or ``absent``.  The signature is Ed25519 under the
``qr`` keyset (:mod:`yanpiao.security.keys`) with Tink's output prefix: five bytes (a version
byte and the 4-byte key id) before the 64 signature bytes, so that after ``yanpiao keys rotate
--keyset qr`` payloads signed under an earlier key still check.

Checking needs neither the database nor the registry — only the keyset's public half
(``public_keyset_handle()``) — so a payload whose key fields were altered is found out even
when the registry cannot be reached.  :func:`check` never raises on what it is given: text that
is not a QR payload at all is ``absent`` unless it carries a signature field, then ``invalid``.
"""

from __future__ import annotations

import threading

import tink
from tink import signature

from yanpiao.fapiao import qr
from yanpiao.security import keys

KEYSET = "qr"
VALID, INVALID, ABSENT = "valid", "invalid", "absent"
STATUSES = (VALID, INVALID, ABSENT)
MAX_TEXT = 4096  # no QR payload is longer; longer text is not checked (it is not one)

_lock = threading.Lock()
# (keyset handle, signer, verifier), rebuilt when keys.keyset returns another handle (rotation).
_cached: tuple[tink.KeysetHandle, signature.PublicKeySign, signature.PublicKeyVerify] | None = None


def _primitives() -> tuple[signature.PublicKeySign, signature.PublicKeyVerify]:
    global _cached
    handle = keys.keyset(KEYSET)
    cached = _cached
    if cached is None or cached[0] is not handle:
        with _lock:
            signer = handle.primitive(signature.PublicKeySign)
            verifier = handle.public_keyset_handle().primitive(signature.PublicKeyVerify)
            cached = _cached = (handle, signer, verifier)
    return cached[1], cached[2]


def sign(standard_text: str) -> str:
    """The signed payload of an unsigned standard payload (its 8 fields unchanged, then the
    signature field).  Raises :class:`yanpiao.fapiao.qr.QrFormatError` for text that is not an
    unsigned payload."""
    payload = qr.parse(standard_text)
    if payload.signature is not None:
        raise qr.QrFormatError("the QR payload is signed already")
    signer, _ = _primitives()
    return qr.with_signature(standard_text, signer.sign(qr.signature_message(payload)))


def check(text: object) -> str:
    """``valid`` when the payload carries a signature by a key of the ``qr`` keyset over its key
    fields; ``invalid`` when it carries a signature field that does not check (altered fields,
    altered or foreign signature, a payload that no longer parses); ``absent`` when it carries
    none.  Never raises on hostile input."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return ABSENT
    _, found = qr.split_signature(text)
    if found is None:
        return ABSENT
    try:
        payload = qr.parse(text)
    except qr.QrFormatError:
        return INVALID
    if not payload.signature:
        return INVALID
    _, verifier = _primitives()
    try:
        verifier.verify(payload.signature, qr.signature_message(payload))
    except (tink.TinkError, ValueError):
        return INVALID
    return VALID


def key_id(text: str) -> int | None:
    """The id of the key that signed the payload (from the signature's prefix), or None."""
    _, found = qr.split_signature(text)
    if not found or len(found) < 5:
        return None
    return int.from_bytes(found[1:5], "big")
