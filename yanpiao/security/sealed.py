"""Sealed tokens: a few bytes a client carries back (a paging cursor), which it can neither read
nor forge.

:func:`seal` encrypts them with AES-GCM under a key derived from the master key for ``purpose``
and writes them in base64url; :func:`unseal` gives them back, or raises :class:`Unsealable` for
anything that was not sealed here for that purpose (altered, cut short, too long, another
installation's).

>>> from yanpiao.security import sealed
>>> sealed.unseal(sealed.seal(b"42", b"example"), b"example")
b'42'
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yanpiao.security import keys

NONCE_BYTES = 12
MAX_LENGTH = 400  # of a sealed token's text


class Unsealable(ValueError):
    """Not a token this site sealed for this purpose."""


def _cipher(purpose: bytes) -> AESGCM:
    return AESGCM(keys.master_derived_key(b"yanpiao sealed " + purpose))


def seal(data: bytes, purpose: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + _cipher(purpose).encrypt(nonce, data, purpose)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def unseal(text: str, purpose: bytes) -> bytes:
    text = (text or "").strip()
    if not text or len(text) > MAX_LENGTH or not text.isascii():
        raise Unsealable("not a token of this site")
    try:
        sealed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(sealed) <= NONCE_BYTES:
            raise Unsealable("not a token of this site")
        return _cipher(purpose).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose)
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise Unsealable("not a token of this site") from exc
