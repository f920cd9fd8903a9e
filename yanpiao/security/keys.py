"""Keys: the master key, and the Tink keysets it protects.

The master key (32 random bytes, base64) comes from ``YANPIAO_MASTER_KEY`` or the file named
by ``YANPIAO_MASTER_KEY_FILE``; in development it is generated once into
``YANPIAO_HOME/master.key`` (mode 0600), in production it is required.  A key file that group
or others may read is refused in production and warned about in development.  It never encrypts
data itself: it encrypts the keysets, which live in ``YANPIAO_HOME/keys/<name>.json``:

* ``fields`` — AEAD (AES-256-GCM) for sensitive fields (:mod:`yanpiao.security.fields`);
* ``index`` — a PRF (HMAC-SHA256) for blind indexes and keyed fingerprints;
* ``backup`` — streaming AEAD (AES-256-GCM-HKDF, 1 MB segments) for backups;
* ``qr`` — signatures (Ed25519, Tink output prefix: the key id travels with each signature) over
  the QR payloads of registered invoices (:mod:`yanpiao.security.qr_signature`).

A keyset is created on first use.  :func:`rotate` adds a new primary key; the old keys stay
in the keyset, so everything written under them keeps decrypting.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
import threading
import time
from pathlib import Path

import tink
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tink import aead, prf, secret_key_access, signature, streaming_aead

aead.register()
prf.register()
streaming_aead.register()
signature.register()

TEMPLATES = {
    "fields": aead.aead_key_templates.AES256_GCM,
    "index": prf.prf_key_templates.HMAC_SHA256,
    "backup": streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB,
    "qr": signature.signature_key_templates.ED25519,
}
RELOAD_SECONDS = 5.0  # how often a process looks for a keyset rotated by another one
_NONCE = 12
REQUIRED = "YANPIAO_MASTER_KEY or YANPIAO_MASTER_KEY_FILE is required when YANPIAO_ENV=production"

logger = logging.getLogger(__name__)
_warned: set[str] = set()  # key files already warned about in this process


class MasterAead(aead.Aead):
    """AES-256-GCM under the raw master key: a random nonce before each ciphertext."""

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ImproperlyConfigured("the master key must be 32 bytes (base64 of 32 random bytes)")
        self._cipher = AESGCM(key)

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._cipher.encrypt(nonce, plaintext, associated_data)

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        try:
            return self._cipher.decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], associated_data)
        except Exception as exc:  # cryptography raises InvalidTag
            raise tink.TinkError("wrong master key, or a damaged keyset") from exc


def home() -> Path:
    return Path(settings.HOME)


def keys_dir() -> Path:
    return home() / "keys"


def write_private(path: Path, data: bytes, replace: bool = True) -> None:
    """Write a secret file atomically with mode 0600.  With ``replace`` false, a file already there
    (another process's, written meanwhile) is kept and ``data`` dropped: the first writer wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _read_key_file(path: Path, label: str) -> str:
    """The text of a master key file that only its owner may read (production), else with a warning."""
    try:
        with path.open() as stream:
            mode = stat.S_IMODE(os.fstat(stream.fileno()).st_mode)
            text = stream.read().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{label}: cannot read {path}: {exc.strerror}") from None
    if mode & 0o077:
        problem = (
            f"{label} {path} can be read by group or others (mode {mode:04o}): "
            "make it readable by its owner only (chmod 600)"
        )
        if settings.PRODUCTION:
            raise ImproperlyConfigured(problem)
        if problem not in _warned:
            _warned.add(problem)
            logger.warning("%s", problem)
    return text


def master_key() -> bytes:
    """The raw master key, from the environment, its file, or (development) ``YANPIAO_HOME/master.key``."""
    text = os.environ.get("YANPIAO_MASTER_KEY", "").strip()
    file_name = os.environ.get("YANPIAO_MASTER_KEY_FILE", "").strip()
    if not text and file_name:
        text = _read_key_file(Path(file_name), "YANPIAO_MASTER_KEY_FILE")
    if not text:
        path = home() / "master.key"
        if not path.exists():
            if settings.PRODUCTION:
                raise ImproperlyConfigured(REQUIRED)
            # Processes starting together may all find none: the first one's key is everyone's.
            write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n", replace=False)
        text = _read_key_file(path, "the master key file")
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        raise ImproperlyConfigured("the master key must be base64 (of 32 random bytes)") from None
    return key


def master_aead() -> MasterAead:
    return MasterAead(master_key())


def require_master_key() -> None:
    """Raise ``ImproperlyConfigured`` unless a usable master key is configured (none is generated).

    Production processes call it before they start, so that a missing key stops them at once
    instead of failing every request that touches an encrypted value.
    """
    if not settings.PRODUCTION and not _configured() and not (home() / "master.key").exists():
        return  # development: generated on first use
    master_aead()


def _configured() -> bool:
    return any(os.environ.get(name, "").strip() for name in ("YANPIAO_MASTER_KEY", "YANPIAO_MASTER_KEY_FILE"))


def unopenable_keysets() -> list[str]:
    """The keyset files in ``YANPIAO_HOME/keys`` the master key does not open (a wrong master key)."""
    refused = []
    for name in TEMPLATES:
        path = _path(name)
        if path.exists():
            try:
                _read(name)
            except tink.TinkError:
                refused.append(str(path))
    return refused


def _associated_data(name: str) -> bytes:
    return f"yanpiao keyset {name}".encode()


class _Cache:
    def __init__(self):
        self.generation = 0  # changes whenever cached keys may have changed
        self.lock = threading.Lock()
        self.handles: dict[str, tuple[tink.KeysetHandle, float, float]] = {}  # name -> handle, mtime, checked
        self.primitives: dict[tuple[str, type], object] = {}
        self.derived: dict[object, bytes] = {}  # purpose (index keyset) or (home, info) (master key)


_cache = _Cache()


def _path(name: str) -> Path:
    if name not in TEMPLATES:
        raise KeyError(f"no keyset called {name!r}")
    return keys_dir() / f"{name}.json"


def _read(name: str) -> tink.KeysetHandle:
    text = _path(name).read_text()
    return tink.json_proto_keyset_format.parse_encrypted(text, master_aead(), _associated_data(name))


def _encrypted(name: str, handle: tink.KeysetHandle) -> str:
    return tink.json_proto_keyset_format.serialize_encrypted(handle, master_aead(), _associated_data(name))


def _store(name: str, handle: tink.KeysetHandle) -> None:
    write_private(_path(name), _encrypted(name, handle).encode())


def keyset(name: str) -> tink.KeysetHandle:
    """The keyset ``name``, created on first use; re-read when another process rotated it."""
    cached = _cache.handles.get(name)
    if cached and time.monotonic() - cached[2] < RELOAD_SECONDS:
        return cached[0]  # the usual case, without the lock
    with _cache.lock:
        now = time.monotonic()
        cached = _cache.handles.get(name)
        if cached and now - cached[2] < RELOAD_SECONDS:
            return cached[0]
        path = _path(name)
        if not path.exists():
            _create(name)
        mtime = path.stat().st_mtime
        if cached and cached[1] == mtime:
            _cache.handles[name] = (cached[0], mtime, now)
            return cached[0]
        handle = _read(name)
        _cache.handles[name] = (handle, mtime, now)
        _cache.primitives = {k: v for k, v in _cache.primitives.items() if k[0] != name}
        return handle


def _create(name: str) -> None:
    """Create the keyset unless another process just did (the first writer wins)."""
    path = _path(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = _encrypted(name, tink.new_keyset_handle(TEMPLATES[name]))
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)


def primitive(name: str, kind: type):
    """The Tink primitive (``aead.Aead``, ``prf.PrfSet``, ``streaming_aead.StreamingAead``) of a keyset."""
    handle = keyset(name)
    key = (name, kind)
    found = _cache.primitives.get(key)
    if found is None or found[0] is not handle:
        found = _cache.primitives[key] = (handle, handle.primitive(kind))
    return found[1]


def fields_aead() -> aead.Aead:
    return primitive("fields", aead.Aead)


def index_prf() -> prf.Prf:
    return primitive("index", prf.PrfSet).primary()


def backup_streaming() -> streaming_aead.StreamingAead:
    return primitive("backup", streaming_aead.StreamingAead)


def key_ids(name: str) -> tuple[int, list[int]]:
    """The primary key id of a keyset, and all its key ids."""
    info = keyset(name).keyset_info()
    return info.primary_key_id, [key.key_id for key in info.key_info]


def rotate(name: str) -> int:
    """Add a new key to the keyset and make it primary; return its id.  Old keys stay."""
    from tink.proto import tink_pb2

    with _cache.lock:
        current = _read(name)
        keyset_proto = tink_pb2.Keyset.FromString(
            tink.proto_keyset_format.serialize(current, secret_key_access.TOKEN)
        )
        fresh = tink_pb2.Keyset.FromString(
            tink.proto_keyset_format.serialize(
                tink.new_keyset_handle(TEMPLATES[name]), secret_key_access.TOKEN
            )
        )
        new_key = fresh.key[0]
        used = {key.key_id for key in keyset_proto.key}
        while new_key.key_id in used:  # ids are random 32-bit numbers; a clash is unlikely
            new_key.key_id = secrets.randbits(31)
        keyset_proto.key.append(new_key)
        keyset_proto.primary_key_id = new_key.key_id
        handle = tink.proto_keyset_format.parse(keyset_proto.SerializeToString(), secret_key_access.TOKEN)
        _store(name, handle)
        _cache.handles.pop(name, None)
        _cache.primitives = {k: v for k, v in _cache.primitives.items() if k[0] != name}
        return new_key.key_id


def forget() -> None:
    """Drop the cached keysets (tests that switch YANPIAO_HOME or the master key)."""
    with _cache.lock:
        _cache.handles.clear()
        _cache.primitives.clear()
        _cache.derived.clear()
        _cache.generation += 1


def generation() -> int:
    """A number that changes when :func:`forget` drops the keys: part of the key of derived caches."""
    return _cache.generation


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose``, derived from the ``index`` keyset (cached)."""
    key = _cache.derived.get(purpose)
    if key is None:
        key = _cache.derived[purpose] = index_prf().compute(f"digest key\0{purpose}".encode(), 32)
    return key


def master_derived_key(info: bytes) -> bytes:
    """A 32-byte key for ``info``, derived from the master key itself (HKDF-SHA256; cached, never
    stored): for what must outlive a rotation of the keysets, such as the audit chain's HMAC."""
    cache_key = (str(settings.HOME), info)
    key = _cache.derived.get(cache_key)
    if key is None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master_key())
        _cache.derived[cache_key] = key
    return key
