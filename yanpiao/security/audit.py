"""The audit log: record events in a hash chain, sign checkpoints of its head, verify it.

Each entry's hash is ``sha256(previous_hash + "\\n" + canonical JSON of its fields)``, where the
fields are ``id``, ``at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``actor_id``, ``action``,
``target`` and ``detail``, and the canonical JSON has sorted keys and no spaces.  The first
entry (id 1) follows 64 zeros.  Changing, removing or renumbering an entry breaks the chain.

A rewrite of the chain from some entry to its head, or the removal of its last entries, would
still look consistent; the checkpoints catch that.  A checkpoint is the head's id and hash,
signed with Ed25519 and appended as one JSON line to ``YANPIAO_HOME/audit/checkpoints.jsonl``
(the signed message is ``b"yanpiao audit checkpoint\\n"`` + canonical JSON of id, hash and at).
One is written every ``YANPIAO_AUDIT_CHECKPOINT_EVERY`` entries (1000; 0 for never) and by
``yanpiao audit checkpoint``.  The signing key is kept encrypted under the master key in
``YANPIAO_HOME/keys/audit-signing.key``; its public half is in ``audit/signing-key.pub`` (hex).

The database refuses UPDATE and DELETE on the table (migration 0002); :func:`verify` is what
proves that nobody went around the triggers.  Entries never hold personal data in clear.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import tink
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yanpiao import dbapi
from yanpiao.security import keys
from yanpiao.security.models import AuditEntry

logger = logging.getLogger(__name__)

TABLE = AuditEntry._meta.db_table
GENESIS = "0" * 64
CHUNK = 5000
POSTGRESQL_LOCK = 0x59_41_55_44_49_54  # pg_advisory_xact_lock key that serialises writers ("YAUDIT")
SIGNING_KEY_DATA = b"yanpiao audit signing key"
CHECKPOINT_PREFIX = b"yanpiao audit checkpoint\n"


class Action(StrEnum):
    """Every kind of audit entry, named ``<area>.<what happens>``: the one vocabulary of the log.

    An entry about one record names it as its target, ``app.model:id`` (:func:`target`); one
    about a whole table (an import, an export) names the table, ``app.model``.  Entries never
    hold personal data in clear: a failed log-in keeps the blind index of the login, not it.
    """

    ACCOUNT_SIGNUP = "account.signup"
    ACCOUNT_LOGIN = "account.login"
    ACCOUNT_LOGIN_FAILED = "account.login_failed"
    ACCOUNT_POWERS_CHANGE = "account.powers_change"  # role, is_staff or is_superuser
    ACCOUNT_PASSWORD_CHANGE = "account.password_change"
    ACCOUNT_CONTACT_CONFIRM = "account.contact_confirm"
    ACCOUNT_DATA_EXPORT = "account.data_export"
    ACCOUNT_DELETE = "account.delete"
    API_TOKEN_CREATE = "api_token.create"
    API_TOKEN_REVOKE = "api_token.revoke"
    ACCESS_REVEAL = "access.reveal"  # an auditor or admin read a personal-data field in full
    REGISTRY_REGISTER = "registry.register"
    REGISTRY_REGISTER_BULK = "registry.register_bulk"
    REGISTRY_VOID = "registry.void"
    REGISTRY_FLAG = "registry.flag"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    VERIFICATION_CREATE = "verification.create"
    KEYS_ROTATE = "keys.rotate"


def target(model_or_label, pk=None) -> str:
    """``app.model:id`` for a record, ``app.model`` for a table; from a model (class or instance)
    or its label.

    >>> target("registry.invoice", 42), target("registry.invoice")
    ('registry.invoice:42', 'registry.invoice')
    """
    if isinstance(model_or_label, str):
        label = model_or_label
    else:
        label = model_or_label._meta.label_lower
        if pk is None and not isinstance(model_or_label, type):
            pk = model_or_label.pk
    return label if pk is None else f"{label}:{pk}"


def canonical(data) -> str:
    """Sorted keys, no spaces, UTF-8 as is; decimals, dates and other objects as strings."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
    )


def instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(previous_hash: str, id: int, at: str, actor_id, action: str, target: str, detail) -> str:
    fields = {"id": id, "at": at, "actor_id": actor_id, "action": action, "target": target, "detail": detail}
    return hashlib.sha256(f"{previous_hash}\n{canonical(fields)}".encode()).hexdigest()


def _actor_id(actor) -> int | None:
    if actor is None or isinstance(actor, int):
        return actor
    return actor.pk  # None for an anonymous user


def record(action: str, actor=None, target: str = "", detail: dict | None = None) -> int:
    """Append an entry; return its id.  ``actor`` is a user, a user id or None.

    Inside an outer transaction the entry stays (or goes) with it, and on PostgreSQL other
    writers of the log wait until that transaction ends.
    """
    action, target = str(action), str(target)
    detail_text = canonical(detail or {})
    detail = json.loads(detail_text)  # as it will read back from the database
    actor_id = _actor_id(actor)
    # No savepoint of its own: inside a caller's transaction the entry shares its fate anyway.
    # The driver's cursor: verification records an entry on every check.
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(savepoint=False):
        cursor = dbapi.cursor()
        try:
            if postgresql:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [POSTGRESQL_LOCK])
            cursor.execute(f"SELECT id, entry_hash FROM {TABLE} ORDER BY id DESC LIMIT 1")
            previous_id, previous_hash = cursor.fetchone() or (0, GENESIS)
            entry_id = previous_id + 1
            at = timezone.now()
            digest = entry_hash(previous_hash, entry_id, instant(at), actor_id, action, target, detail)
            detail_sql = "%s::jsonb" if postgresql else "%s"
            cursor.execute(
                dbapi.sql(
                    f"INSERT INTO {TABLE} (id, at, actor_id, action, target, detail, previous_hash, entry_hash) "
                    f"VALUES (%s, %s, %s, %s, %s, {detail_sql}, %s, %s)"
                ),
                [
                    entry_id,
                    connection.ops.adapt_datetimefield_value(at),
                    actor_id,
                    action,
                    target,
                    detail_text,
                    previous_hash,
                    digest,
                ],
            )
        finally:
            cursor.close()
        every = settings.YANPIAO_AUDIT_CHECKPOINT_EVERY
        if every > 0 and entry_id % every == 0:
            transaction.on_commit(checkpoint, robust=True)
    return entry_id


def head() -> tuple[int, str]:
    """The id and hash of the last entry; (0, 64 zeros) for an empty log."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, entry_hash FROM {TABLE} ORDER BY id DESC LIMIT 1")
        return cursor.fetchone() or (0, GENESIS)


def tail(count: int = 20) -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("-id")[:count])[::-1]


# --- checkpoints ---------------------------------------------------------------------------


def audit_dir() -> Path:
    return keys.home() / "audit"


def checkpoints_path() -> Path:
    return audit_dir() / "checkpoints.jsonl"


def public_key_path() -> Path:
    return audit_dir() / "signing-key.pub"


def _private_key_path() -> Path:
    return keys.keys_dir() / "audit-signing.key"


_signing_lock = threading.Lock()
_signing_keys: dict[str, Ed25519PrivateKey] = {}


def _create_signing_key(path: Path) -> None:
    """Write a new encrypted key unless another process just did: the first writer wins."""
    raw = Ed25519PrivateKey.generate().private_bytes_raw()
    data = base64.b64encode(keys.master_aead().encrypt(raw, SIGNING_KEY_DATA)) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def signing_key(create: bool = True) -> Ed25519PrivateKey | None:
    """This installation's checkpoint signing key, created on first use (unless ``create`` is false)."""
    path = _private_key_path()
    with _signing_lock:
        found = _signing_keys.get(str(path))
        if found:
            return found
        if not path.exists():
            if not create:
                return None
            _create_signing_key(path)
        raw = keys.master_aead().decrypt(base64.b64decode(path.read_bytes()), SIGNING_KEY_DATA)
        found = _signing_keys[str(path)] = Ed25519PrivateKey.from_private_bytes(raw)
    public = found.public_key().public_bytes_raw().hex()
    published = public_key_path()
    if not published.exists() or published.read_text().strip() != public:
        published.parent.mkdir(parents=True, exist_ok=True)
        published.write_text(public + "\n")
    return found


def _checkpoint_message(id: int, hash: str, at: str) -> bytes:
    return CHECKPOINT_PREFIX + canonical({"id": id, "hash": hash, "at": at}).encode()


def checkpoint() -> dict:
    """Sign the head of the log and append the checkpoint to ``checkpoints.jsonl``; return it.

    Call it outside any transaction (:func:`record` defers it to the commit), so that the head
    it signs cannot be rolled back.
    """
    key = signing_key()
    head_id, head_hash = head()
    at = instant(timezone.now())
    signed = {
        "id": head_id,
        "hash": head_hash,
        "at": at,
        "key": key.public_key().public_bytes_raw().hex(),
        "signature": key.sign(_checkpoint_message(head_id, head_hash, at)).hex(),
    }
    path = checkpoints_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(canonical(signed) + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    return signed


@dataclass(frozen=True)
class Checkpoint:
    line: int
    id: int
    hash: str
    at: str


def _trusted_public_key() -> Ed25519PublicKey | None:
    """From the private key when it is here; else the published one (a copy of the log elsewhere)."""
    private = signing_key(create=False)
    if private is not None:
        return private.public_key()
    if public_key_path().exists():
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_path().read_text().strip()))
    return None


def signed_checkpoints() -> tuple[list[Checkpoint], str | None]:
    """The checkpoints whose signature holds, and what is wrong with the first one that does not."""
    path = checkpoints_path()
    if not path.exists():
        return [], None
    try:
        public = _trusted_public_key()
    except tink.TinkError:
        return [], "the audit signing key does not decrypt: a wrong master key, or a damaged key file"
    good, problem = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"checkpoint on line {number} of {path}"
        try:
            data = json.loads(line)
            found = Checkpoint(number, int(data["id"]), str(data["hash"]), str(data["at"]))
            signature = bytes.fromhex(data["signature"])
        except (ValueError, KeyError, TypeError):
            problem = problem or f"{where} is damaged"
            continue
        if public is None:
            problem = problem or f"{where} cannot be checked: the audit signing key is missing"
            continue
        try:
            public.verify(signature, _checkpoint_message(found.id, found.hash, found.at))
        except InvalidSignature:
            problem = problem or f"{where} has a bad signature"
            continue
        good.append(found)
    return good, problem


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int  # entries read before the first bad one (all of them when ok)
    head_id: int
    first_bad_id: int | None = None
    reason: str = ""
    last_checkpoint_id: int | None = None

    def summary(self) -> str:
        if not self.ok:
            return self.reason
        checkpoint = (
            "no checkpoint yet"
            if self.last_checkpoint_id is None
            else f"last checkpoint at id {self.last_checkpoint_id}"
        )
        return f"audit log intact: {self.count} entries, {checkpoint}"


def _rows(after: int):
    """Entries after id ``after``, in order, with ``at`` and ``detail`` as stored (not converted)."""
    if connection.vendor == "postgresql":
        at, detail = "at", "detail::text"
    else:
        at, detail = "at || ''", "detail"  # || keeps the sqlite3 module from parsing the date
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {at}, actor_id, action, target, {detail}, previous_hash, entry_hash "
            f"FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
            [after, CHUNK],
        )
        return cursor.fetchall()


def _stored_hash(row) -> str | None:
    """The hash an entry should have given its stored fields; None when a field is unreadable."""
    id, at, actor_id, action, target, detail, previous_hash, _ = row
    try:
        if isinstance(at, str):
            at = parse_datetime(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        detail = json.loads(detail) if isinstance(detail, str) else detail
        return entry_hash(previous_hash, id, instant(at), actor_id, action, target, detail)
    except (AttributeError, TypeError, ValueError):
        return None


def verify() -> VerifyReport:
    """Walk the chain from the first entry and compare it with the signed checkpoints."""
    checkpoints, checkpoint_problem = signed_checkpoints()
    wanted = {found.id for found in checkpoints}
    hashes = {0: GENESIS}  # id -> hash, for the checkpointed ids
    expected, previous, count = 1, GENESIS, 0
    broken: tuple[int, str] | None = None
    while broken is None:
        rows = _rows(expected - 1)
        if not rows:
            break
        for row in rows:
            id, stored_previous, stored = row[0], row[6], row[7]
            if id != expected:
                broken = (expected, f"audit entry {expected} was deleted")
            elif _stored_hash(row) != stored:
                broken = (id, f"audit entry {id} was altered")
            elif stored_previous != previous:
                broken = (id - 1, f"audit entry {id - 1} was altered (entry {id} no longer follows it)")
            if broken:
                break
            if id in wanted:
                hashes[id] = stored
            previous, expected, count = stored, expected + 1, count + 1
    head_id = expected - 1
    last_checkpoint_id = max(wanted) if wanted else None

    def failed(first_bad_id: int | None, reason: str) -> VerifyReport:
        return VerifyReport(False, count, head_id, first_bad_id, reason, last_checkpoint_id)

    trusted = 0  # the highest checkpointed id known good so far
    for found in sorted(checkpoints, key=lambda c: c.id):
        if broken and found.id >= broken[0]:
            break
        if found.id > head_id:
            return failed(
                head_id + 1,
                f"audit entry {head_id + 1} was deleted "
                f"(the checkpoint of {found.at} covers entries up to {found.id})",
            )
        if hashes[found.id] != found.hash:
            return failed(
                found.id,
                f"audit entry {found.id} was altered: it does not match the checkpoint of {found.at} "
                f"(entries {trusted + 1} to {found.id} were rewritten)",
            )
        trusted = found.id
    if broken:
        return failed(*broken)
    if checkpoint_problem:
        return failed(None, checkpoint_problem)
    return VerifyReport(True, count, head_id, last_checkpoint_id=last_checkpoint_id)
