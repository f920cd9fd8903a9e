"""The audit log: record events in a keyed hash chain, sign checkpoints of its head, verify it.

Each entry's hash is ``HMAC-SHA256(chain key, previous_hash + "\\n" + canonical JSON of its
fields)``, where the fields are ``id``, ``at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``),
``actor_id``, ``action``, ``target`` and ``detail``, and the canonical JSON has sorted keys and no
spaces.  The first entry (id 1) follows 64 zeros.  The chain key is derived from the master key
(HKDF-SHA256, :func:`chain_key`) and is never stored, so whoever can write to the database but
does not hold the master key cannot rewrite an entry, nor the chain from an entry to its head,
without :func:`verify` naming the first entry rewritten.

Entries written before the chain was keyed (hash ``sha256(previous_hash + "\\n" + fields)``) keep
their hash: migration 0004 seals the id of the last of them (``unkeyed_until``) in
``YANPIAO_HOME/audit/checkpoints.sealed`` and signs a checkpoint of it; :func:`verify` checks
entries up to that id the unkeyed way and every later one keyed.  The boundary lives outside the
database, so an intruder cannot move it to pass off unkeyed rewrites.

Removing the last entries, or rewriting the chain with the key in hand, still looks consistent;
the checkpoints catch that.  A checkpoint is the head's id and hash, its sequence number (1, 2,
…) and the SHA-256 of the previous checkpoint's signature, signed with Ed25519 and appended as one
JSON line to ``YANPIAO_HOME/audit/checkpoints.jsonl`` (the signed message is ``b"yanpiao audit
checkpoint 2\\n"`` + canonical JSON of at, hash, id, previous and sequence; lines from before
carry no sequence and are signed as ``b"yanpiao audit checkpoint\\n"`` + at, hash and id).  One
is written every ``YANPIAO_AUDIT_CHECKPOINT_EVERY`` entries (1000; 0 for never), after
``YANPIAO_AUDIT_CHECKPOINT_SECONDS`` (3600; 0 for never) without one, and by ``yanpiao audit
checkpoint``.  The number of checkpoints written and the last one's digest are kept in
``checkpoints.sealed`` under an HMAC keyed from the master key, so a checkpoint file deleted,
emptied or cut short is reported.  The signing key is kept encrypted under the master key in
``YANPIAO_HOME/keys/audit-signing.key``; its public half is in ``audit/signing-key.pub`` (hex).

The database refuses UPDATE and DELETE on the table, and on SQLite an INSERT over an existing
entry (:mod:`yanpiao.security.triggers`); :func:`verify` checks that those triggers are in place
and proves that nobody went around them.  Entries never hold personal data in clear.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
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
from yanpiao.security import keys, triggers
from yanpiao.security.models import AuditEntry

logger = logging.getLogger(__name__)

TABLE = AuditEntry._meta.db_table
GENESIS = "0" * 64
CHUNK = 5000
POSTGRESQL_LOCK = 0x59_41_55_44_49_54  # pg_advisory_xact_lock key that serialises writers ("YAUDIT")
SIGNING_KEY_DATA = b"yanpiao audit signing key"
CHECKPOINT_PREFIX = b"yanpiao audit checkpoint\n"  # checkpoints without a sequence number (before)
CHECKPOINT_PREFIX_2 = b"yanpiao audit checkpoint 2\n"
CHAIN_KEY_INFO = b"yanpiao audit chain key"  # HKDF info: the key of the entries' HMAC
SEAL_KEY_INFO = b"yanpiao audit sealed checkpoints"  # HKDF info: the key of checkpoints.sealed
SEAL_PREFIX = b"yanpiao audit sealed\n"
RETRY_SECONDS = 60  # a timed checkpoint that failed (or is pending) is not asked for again sooner


class AuditError(Exception):
    """The audit log cannot do what was asked (a checkpoint over a damaged checkpoint file)."""


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
    ACCOUNT_PROVISION = "account.provision"  # an operator created an account (`yanpiao users create`)
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
    VERIFICATION_CREATE_BULK = "verification.create_bulk"  # one call of set-wise verification (a batch chunk)
    HISTORY_EXPORT = "history.export"  # a verification history was exported (filters, format, rows)
    KEYS_ROTATE = "keys.rotate"
    CERTIFICATE_ISSUE = "certificate.issue"  # a signed verification certificate was issued
    CERTIFICATE_KEY_ROTATE = "certificate.key_rotate"  # a new key signs certificates from now on
    FEEDBACK_RATE = "feedback.rate"  # a verifier rated a result (the comment is not in the log)
    FEEDBACK_REPORT = "feedback.report"  # a verifier reported an invoice as suspicious
    BATCH_CREATE = "batch.create"  # a batch was read into chunks and queued (format, size, sha256, rows)
    BATCH_CANCEL = "batch.cancel"
    BATCH_RETRY = "batch.retry"  # a failed or cancelled batch's undone chunks were queued again
    BATCH_RESULT = "batch.result"  # a batch's result file was written (format, rows)
    RISK_TRAIN = "risk.train"  # a risk model was trained (version, invoices, seconds)
    ALERT_RAISE = "alert.raise"  # an alert was raised (kind, severity, subject); its repeats are not logged
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    ALERT_ASSIGN = "alert.assign"
    ALERT_RESOLVE = "alert.resolve"
    ALERT_FALSE_POSITIVE = "alert.false_positive"
    ALERT_REOPEN = "alert.reopen"
    ALERT_NOTE = "alert.note"  # a note was added (the text is not in the log)
    ALERT_VIEW = "alert.view"  # an auditor opened an alert and its evidence
    ALERT_SUBSCRIPTION_CHANGE = "alert.subscription_change"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_CHANGE = "webhook.change"
    WEBHOOK_REDELIVER = "webhook.redeliver"
    HELP_EDIT = "help.edit"  # staff created or changed a help page
    TICKET_OPEN = "ticket.open"
    TICKET_REPLY = (
        "ticket.reply"  # a message on a ticket (its text is not in the log), staff's or the owner's
    )
    TICKET_NOTE = "ticket.note"  # a staff-only note on a ticket
    TICKET_ASSIGN = "ticket.assign"
    TICKET_CLOSE = "ticket.close"
    TICKET_REOPEN = "ticket.reopen"
    TICKET_RATE = "ticket.rate"
    TICKET_OVERDUE = "ticket.overdue"  # a ticket passed its first-response promise; its assignee was told
    CANNED_ANSWER_CHANGE = "canned_answer.change"
    SURVEY_CREATE = "survey.create"
    SURVEY_CHANGE = "survey.change"
    SURVEY_SEND = "survey.send"  # invitations queued (audience, count)
    SURVEY_CLOSE = "survey.close"
    SURVEY_RESPOND = "survey.respond"
    SURVEY_UNSUBSCRIBE = "survey.unsubscribe"
    SURVEY_EXPORT = "survey.export"
    SUGGESTION_CREATE = "suggestion.create"
    SUGGESTION_STATUS = "suggestion.status"  # staff set a suggestion's status
    SUGGESTION_AWARD = "suggestion.award"  # staff awarded points to a suggestion's author
    GUARD_BLOCK = "guard.block"  # the request guard blocked an address or an account (reason, until)
    GUARD_UNBLOCK = "guard.unblock"  # a block was lifted, by an operator or when it ran out
    RETENTION_PRUNE = "retention.prune"  # history or logs past their retention were deleted (counts)
    AUDIT_TRIGGER_RESTORE = "audit.trigger_restore"  # migrate found a trigger of the log missing or off
    AUDIT_RESEAL = "audit.reseal"  # an operator accepted the checkpoint file as it is now


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


def chain_key() -> bytes:
    """The key of the chain's HMAC: derived from the master key, so never in the database."""
    return keys.master_derived_key(CHAIN_KEY_INFO)


def _chained(previous_hash: str, id: int, at: str, actor_id, action: str, target: str, detail) -> bytes:
    fields = {"id": id, "at": at, "actor_id": actor_id, "action": action, "target": target, "detail": detail}
    return f"{previous_hash}\n{canonical(fields)}".encode()


def entry_hash(
    previous_hash: str, id: int, at: str, actor_id, action: str, target: str, detail, key: bytes | None = None
) -> str:
    """The keyed hash of an entry: HMAC-SHA256 under the chain key (or ``key``)."""
    message = _chained(previous_hash, id, at, actor_id, action, target, detail)
    return hmac.new(key if key is not None else chain_key(), message, hashlib.sha256).hexdigest()


def unkeyed_hash(previous_hash: str, id: int, at: str, actor_id, action: str, target: str, detail) -> str:
    """The hash of an entry written before the chain was keyed: plain SHA-256."""
    return hashlib.sha256(_chained(previous_hash, id, at, actor_id, action, target, detail)).hexdigest()


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
    key = chain_key()
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
            digest = entry_hash(previous_hash, entry_id, instant(at), actor_id, action, target, detail, key)
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
        _schedule_checkpoint(entry_id)
    return entry_id


# checkpoint file -> monotonic time this process last asked for a timed checkpoint (or saw one fail)
_timed_asked: dict[str, float] = {}


def _schedule_checkpoint(entry_id: int) -> None:
    """After the commit: a checkpoint every N entries, or when the last is older than the interval."""
    every = settings.YANPIAO_AUDIT_CHECKPOINT_EVERY
    if every > 0 and entry_id % every == 0:
        transaction.on_commit(checkpoint, robust=True)
        return
    seconds = settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS
    if seconds > 0:
        path = checkpoints_path()
        if _checkpoint_due(path, seconds):
            _timed_asked[str(path)] = time.monotonic()
            transaction.on_commit(functools.partial(_timed_checkpoint, path, seconds), robust=True)


def _checkpoint_due(path: Path, seconds: float) -> bool:
    asked = _timed_asked.get(str(path))
    if asked is not None and time.monotonic() - asked < min(seconds, RETRY_SECONDS):
        return False  # asked already (the commit is to come), or it failed a moment ago
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True  # never a checkpoint: the first entry asks for one
    return age >= seconds


def _timed_checkpoint(path: Path, seconds: float) -> None:
    try:
        checkpoint(due_after=seconds)
    except Exception:
        _timed_asked[str(path)] = time.monotonic()  # ask again in a minute, not at every entry
        raise
    _timed_asked.pop(str(path), None)


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


def sealed_path() -> Path:
    return audit_dir() / "checkpoints.sealed"


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


def _checkpoint_message(
    id: int, hash: str, at: str, sequence: int | None = None, previous: str = ""
) -> bytes:
    if sequence is None:
        return CHECKPOINT_PREFIX + canonical({"id": id, "hash": hash, "at": at}).encode()
    fields = {"id": id, "hash": hash, "at": at, "sequence": sequence, "previous": previous}
    return CHECKPOINT_PREFIX_2 + canonical(fields).encode()


def signature_digest(signature_hex: str) -> str:
    """What the next checkpoint names as ``previous``: the SHA-256 of this one's signature."""
    return hashlib.sha256(bytes.fromhex(signature_hex)).hexdigest()


@contextlib.contextmanager
def _checkpoint_lock():
    """One writer of the checkpoint file and its sealed count at a time, across processes."""
    folder = audit_dir()
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)  # the folder itself: no lock file to leave behind
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@dataclass(frozen=True)
class Sealed:
    """What ``checkpoints.sealed`` holds, under an HMAC keyed from the master key."""

    count: int = 0  # checkpoints written (lines of checkpoints.jsonl)
    last: str = ""  # the signature digest of the last one
    unkeyed_until: int = 0  # the last entry from before the keyed chain (0: all are keyed)


def _seal_mac(state: Sealed) -> str:
    message = SEAL_PREFIX + canonical(asdict(state)).encode()
    return hmac.new(keys.master_derived_key(SEAL_KEY_INFO), message, hashlib.sha256).hexdigest()


def read_sealed() -> tuple[Sealed | None, str | None]:
    """The sealed count (None when there is none), and what is wrong with it."""
    path = sealed_path()
    problem = f"the sealed checkpoint count {path} does not hold"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        state = Sealed(int(data["count"]), str(data["last"]), int(data["unkeyed_until"]))
        mac = str(data["mac"])
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, TypeError):
        return None, problem
    if not hmac.compare_digest(mac, _seal_mac(state)):
        return None, problem  # changed, or a wrong master key
    return state, None


def _write_sealed(state: Sealed) -> None:
    path = sealed_path()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with temporary.open("w", encoding="utf-8") as stream:
        stream.write(canonical({**asdict(state), "mac": _seal_mac(state)}) + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


@dataclass(frozen=True)
class _Line:
    number: int
    sequence: int | None
    digest: str  # "" for a damaged line


def _lines() -> list[_Line]:
    """The non-empty lines of the checkpoint file, read loosely (signatures are not checked)."""
    path = checkpoints_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            sequence = data.get("sequence")
            found.append(
                _Line(
                    number, None if sequence is None else int(sequence), signature_digest(data["signature"])
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            found.append(_Line(number, None, ""))
    return found


def _seal_problem(sealed: Sealed | None, lines: list[_Line]) -> str | None:
    """What the checkpoint file and its sealed count disagree about."""
    path = checkpoints_path()
    if sealed is None:
        if any(line.sequence is not None for line in lines):
            return f"the sealed checkpoint count {sealed_path()} is missing"
        return None
    if len(lines) < sealed.count:
        holds = f"{len(lines)} checkpoint" + ("" if len(lines) == 1 else "s")
        written = f"{sealed.count} " + ("was" if sealed.count == 1 else "were")
        return (
            f"{path} holds {holds}, but {written} written "
            f"(sealed in {sealed_path()}): checkpoints were removed"
        )
    if sealed.count and lines[sealed.count - 1].digest != sealed.last:
        return f"checkpoint {sealed.count} in {path} is not the one sealed in {sealed_path()}: checkpoints were replaced"
    return None


def checkpoint(due_after: float | None = None) -> dict | None:
    """Sign the head of the log and append the checkpoint to ``checkpoints.jsonl``; return it.

    Call it outside any transaction (:func:`record` defers it to the commit), so that the head
    it signs cannot be rolled back.  With ``due_after`` (seconds), nothing is written (None is
    returned) when the last checkpoint is more recent.  Refused (:class:`AuditError`) while the
    checkpoint file disagrees with its sealed count: a new checkpoint must not cover that up.
    """
    key = signing_key()
    path = checkpoints_path()
    with _checkpoint_lock():
        if due_after is not None and path.exists() and time.time() - path.stat().st_mtime < due_after:
            return None
        return _append_checkpoint(key)


def _append_checkpoint(key: Ed25519PrivateKey, unkeyed_until: int | None = None) -> dict:
    sealed, problem = read_sealed()
    lines = _lines()
    problem = problem or _seal_problem(sealed, lines)
    if problem:
        raise AuditError(f"{problem}; no checkpoint written (see yanpiao audit verify)")
    sequence = len(lines) + 1
    previous = lines[-1].digest if lines else ""
    head_id, head_hash = head()
    at = instant(timezone.now())
    signature = key.sign(_checkpoint_message(head_id, head_hash, at, sequence, previous)).hex()
    signed = {
        "id": head_id,
        "hash": head_hash,
        "at": at,
        "sequence": sequence,
        "previous": previous,
        "key": key.public_key().public_bytes_raw().hex(),
        "signature": signature,
    }
    path = checkpoints_path()
    with path.open("a", encoding="utf-8") as stream:
        stream.write(canonical(signed) + "\n")
        stream.flush()
        os.fsync(stream.fileno())
    if unkeyed_until is None:
        unkeyed_until = sealed.unkeyed_until if sealed else 0
    _write_sealed(Sealed(sequence, signature_digest(signature), unkeyed_until))
    return signed


def seal_unkeyed() -> int:
    """Mark the entries written so far as from before the keyed chain, and sign a checkpoint of them.

    What migration 0004 does to an existing log: the id of its last entry goes into the sealed
    file, and the checkpoint signs its hash.  Returns that id (0 for an empty log, which needs
    nothing).  Run it once, before any keyed entry is written; again it changes nothing.
    """
    head_id, _ = head()
    if head_id == 0:
        return 0
    key = signing_key()
    with _checkpoint_lock():
        sealed, problem = read_sealed()
        if problem:
            raise AuditError(problem)
        if sealed is not None:
            return sealed.unkeyed_until  # sealed before: this installation was keyed already
        _append_checkpoint(key, unkeyed_until=head_id)
    return head_id


def reseal() -> tuple[int, int]:
    """Accept the checkpoint file as it is now (after a reported problem was looked into).

    The sealed count becomes the file's, and the change is recorded in the log
    (``audit.reseal``); sign a checkpoint next.  Returns the old and new counts.
    """
    with _checkpoint_lock():
        sealed, _ = read_sealed()
        lines = _lines()
        was = sealed.count if sealed else 0
        unkeyed_until = sealed.unkeyed_until if sealed else 0
        _write_sealed(Sealed(len(lines), lines[-1].digest if lines else "", unkeyed_until))
    record(Action.AUDIT_RESEAL, detail={"was": was, "now": len(lines)})
    return was, len(lines)


@dataclass(frozen=True)
class Checkpoint:
    line: int
    id: int
    hash: str
    at: str
    sequence: int | None = None


def _trusted_public_key() -> Ed25519PublicKey | None:
    """From the private key when it is here; else the published one (a copy of the log elsewhere)."""
    private = signing_key(create=False)
    if private is not None:
        return private.public_key()
    if public_key_path().exists():
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_path().read_text().strip()))
    return None


def signed_checkpoints() -> tuple[list[Checkpoint], str | None]:
    """The checkpoints whose signature holds, and what is wrong with the first one that does not
    (a bad signature, a damaged line, a sequence number out of place, a broken link to the one before)."""
    path = checkpoints_path()
    if not path.exists():
        return [], None
    try:
        public = _trusted_public_key()
    except tink.TinkError:
        return [], "the audit signing key does not decrypt: a wrong master key, or a damaged key file"
    good, problem = [], None
    position, previous, sequenced = 0, "", False  # previous: the digest of the line before; None if unknown
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        position += 1
        where = f"checkpoint on line {number} of {path}"
        try:
            data = json.loads(line)
            sequence = data.get("sequence")
            found = Checkpoint(
                number,
                int(data["id"]),
                str(data["hash"]),
                str(data["at"]),
                None if sequence is None else int(sequence),
            )
            link = str(data.get("previous", ""))
            signature = bytes.fromhex(data["signature"])
        except (ValueError, KeyError, TypeError, AttributeError):
            problem = problem or f"{where} is damaged"
            previous = None
            continue
        if public is None:
            problem = problem or f"{where} cannot be checked: the audit signing key is missing"
            continue
        try:
            public.verify(
                signature, _checkpoint_message(found.id, found.hash, found.at, found.sequence, link)
            )
        except InvalidSignature:
            problem = problem or f"{where} has a bad signature"
            previous = None
            continue
        if found.sequence is None and sequenced:
            problem = problem or f"{where} has no sequence number, after checkpoints that have one"
        elif found.sequence is not None:
            sequenced = True
            if found.sequence != position:
                problem = problem or (
                    f"{where} is number {found.sequence}, expected {position}: checkpoints were removed or reordered"
                )
            elif previous is not None and link != previous:
                problem = (
                    problem
                    or f"{where} does not follow the one before it: checkpoints were removed or replaced"
                )
        previous = hashlib.sha256(signature).hexdigest()
        good.append(found)
    return good, problem


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int  # entries read before the first bad one (all of them when ok)
    head_id: int
    first_bad_id: int | None = None
    reason: str = ""  # the first problem
    last_checkpoint_id: int | None = None
    problems: tuple[str, ...] = ()  # every problem found, the first one first
    unkeyed_until: int = 0

    def summary(self) -> str:
        if not self.ok:
            return "\n".join(self.problems) or self.reason
        checkpoint = (
            "no checkpoint yet"
            if self.last_checkpoint_id is None
            else f"last checkpoint at id {self.last_checkpoint_id}"
        )
        unkeyed = (
            f" (1 to {self.unkeyed_until} from before the keyed chain)"
            if self.unkeyed_until and self.count
            else ""
        )
        return f"audit log intact: {self.count} entries{unkeyed}, {checkpoint}"


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


def _stored_fields(row) -> tuple | None:
    """The chained fields of an entry as stored; None when a field is unreadable."""
    id, at, actor_id, action, target, detail, previous_hash, _ = row
    try:
        if isinstance(at, str):
            at = parse_datetime(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        detail = json.loads(detail) if isinstance(detail, str) else detail
        return previous_hash, id, instant(at), actor_id, action, target, detail
    except (AttributeError, TypeError, ValueError):
        return None


def _stored_hash(id: int) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT entry_hash FROM {TABLE} WHERE id = %s", [id])
        found = cursor.fetchone()
    return found[0] if found else None


def verify() -> VerifyReport:
    """Walk the chain from the first entry, compare it with the signed checkpoints and their sealed
    count, and check that the triggers guarding the table are in place."""
    checkpoints, checkpoint_problem = signed_checkpoints()
    if checkpoint_problem and "signing key does not decrypt" in checkpoint_problem:
        return VerifyReport(False, 0, 0, None, checkpoint_problem, problems=(checkpoint_problem,))
    sealed, sealed_problem = read_sealed()
    sealed_problem = sealed_problem or _seal_problem(sealed, _lines())
    unkeyed_until = sealed.unkeyed_until if sealed else 0
    key = chain_key()
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
            fields = _stored_fields(row)
            if id != expected:
                broken = (expected, f"audit entry {expected} was deleted")
            elif fields is None:
                broken = (id, f"audit entry {id} was altered")
            elif id <= unkeyed_until:
                if unkeyed_hash(*fields) != stored:
                    broken = (id, f"audit entry {id} was altered")
            elif not hmac.compare_digest(entry_hash(*fields, key=key), stored):
                reason = f"audit entry {id} was altered"
                if unkeyed_hash(*fields) == stored:
                    reason += (
                        ": its hash is not keyed (rewritten without the key)"
                        if sealed
                        else f": it has an unkeyed hash, but the keyed chain starts at entry {unkeyed_until + 1} "
                        f"(rewritten without the key, or {sealed_path()} was lost)"
                    )
                broken = (id, reason)
            if broken is None and stored_previous != previous:
                broken = (id - 1, f"audit entry {id - 1} was altered (entry {id} no longer follows it)")
            if broken:
                break
            if id in wanted:
                hashes[id] = stored
            previous, expected, count = stored, expected + 1, count + 1
    head_id = expected - 1
    last_checkpoint_id = max(wanted) if wanted else None

    def report(first_bad_id: int | None, reason: str | None) -> VerifyReport:
        problems = [p for p in (reason, checkpoint_problem, sealed_problem) if p]
        problems += [str(problem) for problem in triggers.problems(connection)]
        if not problems:
            return VerifyReport(True, count, head_id, None, "", last_checkpoint_id, (), unkeyed_until)
        return VerifyReport(
            False,
            count,
            head_id,
            first_bad_id,
            problems[0],
            last_checkpoint_id,
            tuple(problems),
            unkeyed_until,
        )

    trusted = 0  # the highest checkpointed id known good so far
    for found in sorted(checkpoints, key=lambda c: c.id):
        if broken and found.id >= broken[0]:
            # the first checkpoint past the break says how far the rewrite went
            stored = _stored_hash(found.id)
            if stored is None:
                return report(
                    broken[0], f"{broken[1]}; the checkpoint of {found.at} covers entries up to {found.id}"
                )
            if stored != found.hash:
                return report(
                    broken[0],
                    f"{broken[1]}; entries {broken[0]} to {found.id} were rewritten "
                    f"(they no longer match the checkpoint of {found.at})",
                )
            break
        if found.id > head_id:
            return report(
                head_id + 1,
                f"audit entry {head_id + 1} was deleted "
                f"(the checkpoint of {found.at} covers entries up to {found.id})",
            )
        if hashes[found.id] != found.hash:
            return report(
                found.id,
                f"audit entry {found.id} was altered: it does not match the checkpoint of {found.at} "
                f"(entries {trusted + 1} to {found.id} were rewritten)",
            )
        trusted = found.id
    if broken:
        return report(*broken)
    return report(None, None)
