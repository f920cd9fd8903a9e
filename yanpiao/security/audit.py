"""The audit log: record events in keyed hash chains (lanes), sign checkpoints of their heads, verify it.

The log is ``YANPIAO_AUDIT_LANES`` parallel chains in one table (16 on PostgreSQL, 1 on SQLite,
which has one writer anyway), so that writers do not queue on one lock.  An entry has a rising
``id`` (on PostgreSQL from a sequence: ids may have gaps and commit out of order), its ``lane`` and
its position ``seq`` in the lane (1, 2, …); its hash is ``HMAC-SHA256(chain key, previous_hash +
"\\n" + canonical JSON of its fields)``, where ``previous_hash`` is the hash of the lane's entry
before (64 zeros for a lane's first), the fields are ``id``, ``lane``, ``seq``, ``at`` (UTC,
``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``actor_id``, ``action``, ``target`` and ``detail``, and the
canonical JSON has sorted keys and no spaces.

On PostgreSQL a connection holds a lane of its own for its life (``YANPIAO_AUDIT_HELD_LANES``,
32, numbered after the shared ones; taken with the session lock
``pg_try_advisory_lock(POSTGRESQL_LOCK + lane)``), reserves ids from the sequence 64 at a time,
and remembers the position and hash it wrote last, so an entry is one INSERT, written only if the
lane's entry at that position still has that hash (else, after a rollback, the head is read
again).  A connection that finds every held lane taken writes in the shared lanes
(``YANPIAO_AUDIT_LANES``, 16) for a minute: it takes one for its transaction with
``pg_try_advisory_xact_lock``, from the lane of its backend (pid % lanes) on, the first free one,
waiting for its own only when every one is taken, and reads the lane's head and the next id, in
one call of the function ``security_auditentry_take_lane`` (migrations 0005 and 0007: it looks
for the head among the last 35 days' entries first); then it appends.  On
SQLite a process appends after the entry it wrote last while that is still the log's last (one
INSERT), else after the head it reads.  A unique index on (lane, seq) refuses two entries at one
position (on PostgreSQL (lane, seq, at): the table is partitioned by month, and :func:`verify`
names a position written twice).  The chain key is derived from the master key (HKDF-SHA256,
:func:`chain_key`) and is never stored, so whoever can write to the database but does not hold
the master key cannot rewrite an entry, nor a lane from an entry to its head, without
:func:`verify` naming the first entry rewritten.

Entries written before lanes (migration 0005) have ``seq`` NULL: they are lane 0 at position =
id, hashed without lane and position (``id``, ``at``, ``actor_id``, ``action``, ``target``,
``detail`` only), and lane 0 goes on from the last of them.  That is unambiguous: the hashed JSON of
an entry in lanes has the keys ``lane`` and ``seq``, one from before has not, so no stored hash
holds under both rules; an entry with no position anywhere but at the start of lane 0 is altered.

Entries written before the chain was keyed (hash ``sha256(previous_hash + "\\n" + fields)``) keep
their hash: migration 0004 seals the id of the last of them (``unkeyed_until``) in
``YANPIAO_HOME/audit/checkpoints.sealed`` and signs a checkpoint of it; :func:`verify` checks
entries up to that id the unkeyed way and every later one keyed.  The boundary lives outside the
database, so an intruder cannot move it to pass off unkeyed rewrites.

Removing the last entries of a lane, or rewriting a lane with the key in hand, still looks
consistent; the checkpoints catch that.  A checkpoint is every lane's head (``lanes``: a list of
``[lane, seq, id, hash]``), the RFC 6962 Merkle root over them (``root``, leaves the canonical
JSON of each), the log's last entry's id and hash, its sequence number (1, 2, …) and the SHA-256
of the previous checkpoint's signature, signed with Ed25519 and appended as one JSON line to
``YANPIAO_HOME/audit/checkpoints.jsonl`` (the signed message is ``b"yanpiao audit checkpoint
3\\n"`` + canonical JSON of at, hash, id, lanes, previous, root and sequence; lines from before
lanes are signed as ``b"yanpiao audit checkpoint 2\\n"`` + at, hash, id, previous and sequence,
and older ones as ``b"yanpiao audit checkpoint\\n"`` + at, hash and id, and sign lane 0 at that id).  One
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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import tink
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from yanpiao import dbapi
from yanpiao.security import keys, triggers
from yanpiao.security.models import AuditEntry

logger = logging.getLogger(__name__)

TABLE = AuditEntry._meta.db_table
GENESIS = "0" * 64
CHUNK = 5000
POSTGRESQL_LOCK = 0x59_41_55_44_49_54  # advisory lock key of lane 0 ("YAUDIT"); lane n's is + n
POSTGRESQL_LANES = 16  # lanes on PostgreSQL unless YANPIAO_AUDIT_LANES says otherwise
MAX_LANES = 256
SEQUENCE = f"{TABLE}_id_seq"  # PostgreSQL: where ids come from (migration 0005)
SIGNING_KEY_DATA = b"yanpiao audit signing key"
CHECKPOINT_PREFIX = b"yanpiao audit checkpoint\n"  # checkpoints without a sequence number (before)
CHECKPOINT_PREFIX_2 = b"yanpiao audit checkpoint 2\n"  # one head (id, hash): before lanes
CHECKPOINT_PREFIX_3 = b"yanpiao audit checkpoint 3\n"  # every lane's head and their Merkle root
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


def _laned(
    previous_hash: str, id: int, lane: int, seq: int, at: str, actor_id, action: str, target: str, detail
) -> bytes:
    fields = {
        "id": id,
        "lane": lane,
        "seq": seq,
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "target": target,
        "detail": detail,
    }
    return f"{previous_hash}\n{canonical(fields)}".encode()


def lane_entry_hash(
    previous_hash: str,
    id: int,
    lane: int,
    seq: int,
    at: str,
    actor_id,
    action: str,
    target: str,
    detail,
    key: bytes | None = None,
) -> str:
    """The keyed hash of an entry written in a lane: its lane and position are hashed too."""
    message = _laned(previous_hash, id, lane, seq, at, actor_id, action, target, detail)
    return hmac.new(key if key is not None else chain_key(), message, hashlib.sha256).hexdigest()


def _actor_id(actor) -> int | None:
    if actor is None or isinstance(actor, int):
        return actor
    return actor.pk  # None for an anonymous user


def lanes(vendor: str | None = None) -> int:
    """How many lanes writers spread over: ``YANPIAO_AUDIT_LANES``, else 16 on PostgreSQL and 1 on SQLite."""
    configured = getattr(settings, "YANPIAO_AUDIT_LANES", 0)
    if configured:
        return min(int(configured), MAX_LANES)
    return POSTGRESQL_LANES if (vendor or connection.vendor) == "postgresql" else 1


# Take a lane for this transaction and read what the entry follows, in one round trip (migration
# 0005): the first free lane from this backend's (pid % lanes) on, or, when every lane is taken,
# wait for this backend's.  A lane this transaction holds already is taken again (advisory locks
# are re-entrant), so a transaction that holds a lane never waits.  The reads inside the function
# see what committed up to the lock (a statement of a volatile function takes a fresh snapshot).
TAKE_LANE_SQL = f"SELECT taken_lane, next_id, last_id, head_seq, head_hash FROM {TABLE}_take_lane(%s, %s)"  # nosec B608  # the audit table's name and constants; values are parameters


def _legacy_head(cursor) -> tuple[int, str] | None:
    """The last entry from before lanes (lane 0's start): its id, which is its position, and hash."""
    cursor.execute(f"SELECT id, entry_hash FROM {TABLE} WHERE seq IS NULL ORDER BY id DESC LIMIT 1")  # nosec B608  # the audit table's name and constants; values are parameters
    return cursor.fetchone()


def _lane_head(cursor, lane: int) -> tuple[int, str, datetime | None]:
    """The position, hash and time of a lane's last entry (the time as the driver reads it: on
    PostgreSQL it names the entry's month); (0, 64 zeros, None) for an empty lane."""
    cursor.execute(
        dbapi.sql(
            f"SELECT seq, entry_hash, at FROM {TABLE} WHERE lane = %s AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # nosec B608  # the audit table's name and constants; values are parameters
        ),
        [lane],
    )
    found = cursor.fetchone()
    if found is None and lane == 0:
        legacy = _legacy_head(cursor)
        found = legacy and (*legacy, None)
    return found or (0, GENESIS, None)


HELD_IDS = 64  # ids a connection holding a lane reserves from the sequence at a time
HELD_RETRY_SECONDS = 60  # a connection that found every held lane taken writes in shared ones this long
# An id reserved is looked for among the entries since its reservation, less this for clocks apart.
RESERVED_SLACK = timedelta(minutes=5)
COLUMNS = "id, at, actor_id, action, target, detail, previous_hash, entry_hash, lane, seq"
# The typed placeholders of an entry's columns (PostgreSQL types the values of INSERT … SELECT by them).
POSTGRESQL_VALUES = "%s::bigint, %s::timestamptz, %s::bigint, %s::text, %s::text, %s::jsonb, %s::text, %s::text, %s::smallint, %s::bigint"
SQLITE_VALUES = ", ".join(["%s"] * 10)


def held_lanes(vendor: str | None = None) -> int:
    """How many lanes connections may hold for their life: ``YANPIAO_AUDIT_HELD_LANES`` (32) on
    PostgreSQL, numbered after the shared ones; none on SQLite (one writer at a time)."""
    if (vendor or connection.vendor) != "postgresql":
        return 0
    return min(int(getattr(settings, "YANPIAO_AUDIT_HELD_LANES", 0)), MAX_LANES)


@dataclass
class _Written:
    """Where this connection's next entry goes, as far as it knows: the lane and what it last wrote there.

    A guess, never trusted: an entry is appended after ``(seq, hash)`` only if the lane's entry
    at ``seq`` still has ``hash`` (and, on SQLite, is still the log's last), in the INSERT
    itself, so a write rolled back or a table emptied under a long-lived process costs one more
    look-up, never a broken chain.  On PostgreSQL the lane is held with a session lock for the
    connection's life (``raw``), so nobody else appends to it.
    """

    raw: object  # the DB-API connection this belongs to
    lane: int | None  # None: every held lane was taken when this connection asked (at ``asked_at``)
    seq: int = 0
    hash: str = GENESIS
    id: int = 0  # SQLite: the id of the entry written last
    ids: list[int] = field(default_factory=list)  # PostgreSQL: ids reserved, the next last
    asked_at: float = 0.0
    at: datetime | None = None  # PostgreSQL: the time of the entry at ``seq`` (names its month)
    reserved_at: datetime | None = None  # PostgreSQL: when ``ids`` were reserved


def _written(db) -> _Written | None:
    """What the connection ``db`` (a Django database wrapper) wrote last, if it is still the same."""
    written = getattr(db, "_yanpiao_audit_written", None)
    return written if written is not None and written.raw is db.connection else None


def _held_lane(db, cursor, shared: int) -> _Written | None:
    """The lane this connection holds, taking one with ``pg_try_advisory_lock`` the first time;
    None when it holds none (none configured, or every one was taken a moment ago)."""
    count = held_lanes(db.vendor)
    if count <= 0:
        return None
    held = _written(db)
    if held is not None and (held.lane is not None or time.monotonic() - held.asked_at < HELD_RETRY_SECONDS):
        return held if held.lane is not None else None
    held = _Written(raw=db.connection, lane=None, asked_at=time.monotonic())
    db._yanpiao_audit_written = held
    start = os.getpid() % count
    for step in range(count):
        lane = shared + (start + step) % count
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [POSTGRESQL_LOCK + lane])
        if cursor.fetchone()[0]:
            held.lane = lane
            held.seq, held.hash, held.at = _lane_head(cursor, lane)
            return held
    return None


def _step_sequence_over_inserted(cursor) -> None:
    """Entries were inserted past the sequence (by hand, or a copy of the table): move it past
    them, one writer at a time, never backwards."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [POSTGRESQL_LOCK - 1])
    cursor.execute(
        f"SELECT setval('{SEQUENCE}', GREATEST((SELECT MAX(id) FROM {TABLE}), "  # nosec B608  # the audit table's name and constants; values are parameters
        f"(SELECT last_value FROM {SEQUENCE})))"
    )


def _held_id(cursor, held: _Written) -> int:
    """The next of the ids this connection reserved, reserving ``HELD_IDS`` more when they are spent."""
    if not held.ids:
        reserve = f"SELECT array(SELECT nextval('{SEQUENCE}') FROM generate_series(1, %s)), (SELECT MAX(id) FROM {TABLE})"  # nosec B608  # the audit table's name and constants; values are parameters
        cursor.execute(reserve, [HELD_IDS])
        ids, last_id = cursor.fetchone()
        if last_id is not None and ids[0] <= last_id:
            _step_sequence_over_inserted(cursor)
            cursor.execute(reserve, [HELD_IDS])
            ids = cursor.fetchone()[0]
        held.ids = list(reversed(ids))
        held.reserved_at = timezone.now() - RESERVED_SLACK
    return held.ids.pop()


def _postgresql_id_lane_head(cursor, count: int) -> tuple[int, int, int, str]:
    cursor.execute(TAKE_LANE_SQL, [count, POSTGRESQL_LOCK])
    lane, entry_id, last_id, seq, previous_hash = cursor.fetchone()
    if seq is None:
        seq, previous_hash = (_legacy_head(cursor) if lane == 0 else None) or (0, GENESIS)
    if last_id is not None and entry_id <= last_id:
        _step_sequence_over_inserted(cursor)
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        entry_id = cursor.fetchone()[0]
    return entry_id, lane, seq, previous_hash


def _sqlite_id_lane_head(cursor, count: int) -> tuple[int, int, int, str]:
    """SQLite has one writer at a time: the id follows the last, the lane is this process's."""
    lane = os.getpid() % count
    cursor.execute(f"SELECT MAX(id) FROM {TABLE}")  # nosec B608  # the audit table's name and constants; values are parameters
    entry_id = (cursor.fetchone()[0] or 0) + 1
    seq, previous_hash, _ = _lane_head(cursor, lane)
    return entry_id, lane, seq, previous_hash


@functools.cache
def _insert_sql(vendor: str, condition: str | None) -> str:
    if vendor == "postgresql":
        placeholders = POSTGRESQL_VALUES
    else:
        placeholders, condition = SQLITE_VALUES.replace("%s", "?"), condition and condition.replace("%s", "?")
    if condition is None:
        return f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({placeholders})"  # nosec B608  # the audit table's name and constants; values are parameters
    return f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {placeholders} WHERE {condition}"  # nosec B608  # the audit table's name and constants; values are parameters


def _insert(vendor: str, cursor, values: list, unless_moved: tuple[str, list] | None = None) -> bool:
    """Insert an entry; with ``unless_moved`` (a condition and its parameters) only while it holds.
    True when it was inserted."""
    if unless_moved is None:
        cursor.execute(_insert_sql(vendor, None), values)
    else:
        condition, condition_parameters = unless_moved
        cursor.execute(_insert_sql(vendor, condition), [*values, *condition_parameters])
    return cursor.rowcount == 1


def _lane_still_at(held: _Written, entry_id: int) -> tuple[str, list]:
    """The condition: the lane ends at (``seq``, ``hash``) as far as the writer holding it knows,
    and nobody inserted the id it reserved by hand since.

    Both look only in the months they can be in (the time of the lane's last entry; the months
    since the reservation): on a log partitioned by month the statement then reads one or two
    partitions, not every month the log has kept (41 months: 2 ms an entry instead of 0.2).
    """
    free = f"NOT EXISTS (SELECT 1 FROM {TABLE} WHERE id = %s AND at >= %s::timestamptz)"  # nosec B608  # the audit table's name and constants; values are parameters
    if held.seq == 0:
        return (
            f"{free} AND NOT EXISTS (SELECT 1 FROM {TABLE} WHERE lane = %s)",  # nosec B608  # the audit table's name and constants; values are parameters
            [entry_id, held.reserved_at, held.lane],
        )
    return (
        f"{free} AND EXISTS (SELECT 1 FROM {TABLE} WHERE lane = %s AND seq = %s AND entry_hash = %s "  # nosec B608  # the audit table's name and constants; values are parameters
        "AND at = %s::timestamptz)",
        [entry_id, held.reserved_at, held.lane, held.seq, held.hash, held.at],
    )


def _log_still_ends_at(hash: str) -> tuple[str, list]:
    """The condition: the log's last entry is still the one this writer wrote (SQLite)."""
    return f"(SELECT entry_hash FROM {TABLE} ORDER BY id DESC LIMIT 1) = %s", [hash]  # nosec B608  # the audit table's name and constants; values are parameters


def _append(db, cursor, key: bytes, at, actor_id, action: str, target: str, detail, detail_text: str) -> int:
    """Append one entry where this writer may, and return its id.

    PostgreSQL: in the lane this connection holds, one statement an entry (ids are reserved in
    blocks); else in a shared lane taken for the transaction.  SQLite: after the entry this
    process wrote last if it is still the log's last, one statement; else after the head read.
    """
    vendor = db.vendor
    at_text, at_value = instant(at), db.ops.adapt_datetimefield_value(at)

    def values(entry_id, lane, seq, previous_hash):
        digest = lane_entry_hash(
            previous_hash, entry_id, lane, seq, at_text, actor_id, action, target, detail, key
        )
        row = [entry_id, at_value, actor_id, action, target, detail_text, previous_hash, digest, lane, seq]
        return row, digest

    count = lanes(vendor)
    if vendor == "postgresql":
        held = _held_lane(db, cursor, count)
        if held is None:
            entry_id, lane, seq, previous_hash = _postgresql_id_lane_head(cursor, count)
            _insert(vendor, cursor, values(entry_id, lane, seq + 1, previous_hash)[0])
            return entry_id
        entry_id = _held_id(cursor, held)
        row, digest = values(entry_id, held.lane, held.seq + 1, held.hash)
        if not _insert(vendor, cursor, row, _lane_still_at(held, entry_id)):
            held.ids = []  # reserved afresh, past any id inserted by hand
            entry_id = _held_id(cursor, held)
            held.seq, held.hash, held.at = _lane_head(cursor, held.lane)
            row, digest = values(entry_id, held.lane, held.seq + 1, held.hash)
            _insert(vendor, cursor, row)
        held.seq, held.hash, held.at = held.seq + 1, digest, at
        return entry_id
    last = _written(db)
    lane = os.getpid() % count
    if last is not None and last.lane == lane:
        row, digest = values(last.id + 1, lane, last.seq + 1, last.hash)
        if _insert(vendor, cursor, row, _log_still_ends_at(last.hash)):
            last.id, last.seq, last.hash = last.id + 1, last.seq + 1, digest
            return last.id
    entry_id, lane, seq, previous_hash = _sqlite_id_lane_head(cursor, count)
    row, digest = values(entry_id, lane, seq + 1, previous_hash)
    _insert(vendor, cursor, row)
    db._yanpiao_audit_written = _Written(raw=db.connection, lane=lane, seq=seq + 1, hash=digest, id=entry_id)
    return entry_id


_PLAIN = (str, int, bool, type(None))


def _reads_back_as_is(detail: dict | None) -> bool:
    """Whether ``detail`` reads back from the database as it is: strings, whole numbers, booleans
    and nulls under string keys (a check's detail).  Anything else is hashed as it reads back."""
    return detail is not None and all(
        type(name) is str and type(value) in _PLAIN for name, value in detail.items()
    )


def record(action: str, actor=None, target: str = "", detail: dict | None = None) -> int:
    """Append an entry; return its id.  ``actor`` is a user, a user id or None.

    Inside an outer transaction the entry stays (or goes) with it; on PostgreSQL a connection
    writes in the lane it holds for its life, or, when it holds none, in a shared lane that stays
    locked until the transaction ends: other writers take other lanes.
    """
    action, target = str(action), str(target)
    detail_text = canonical(detail or {})
    if not _reads_back_as_is(detail):
        detail = json.loads(detail_text)  # as it will read back from the database
    actor_id = _actor_id(actor)
    key = chain_key()
    # No savepoint of its own: inside a caller's transaction the entry shares its fate anyway.
    # The driver's cursor: verification records an entry on every check.
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy `connection` is a look-up
    with transaction.atomic(savepoint=False):
        db.ensure_connection()
        cursor = db.connection.cursor()
        try:
            entry_id = _append(db, cursor, key, timezone.now(), actor_id, action, target, detail, detail_text)
        finally:
            cursor.close()
        _schedule_checkpoint(entry_id)
    return entry_id


# checkpoint file -> monotonic time this process last asked for a timed checkpoint (or saw one fail)
_timed_asked: dict[str, float] = {}
# checkpoint file -> monotonic time this process last found it not due: looked at once a second at most
_timed_looked: dict[str, float] = {}
_checkpoints_paths: dict[object, Path] = {}  # settings.HOME -> its checkpoint file
LOOK_EVERY_SECONDS = 1.0


def _schedule_checkpoint(entry_id: int) -> None:
    """After the commit: a checkpoint every N entries, or when the last is older than the interval."""
    every = settings.YANPIAO_AUDIT_CHECKPOINT_EVERY
    if every > 0 and entry_id % every == 0:
        transaction.on_commit(checkpoint, robust=True)
        return
    seconds = settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS
    if seconds > 0:
        path = _checkpoints_paths.get(settings.HOME)
        if path is None:
            path = _checkpoints_paths[settings.HOME] = checkpoints_path()
        if _checkpoint_due(path, seconds):
            _timed_asked[str(path)] = time.monotonic()
            transaction.on_commit(functools.partial(_timed_checkpoint, path, seconds), robust=True)


def _checkpoint_due(path: Path, seconds: float) -> bool:
    now = time.monotonic()
    asked = _timed_asked.get(str(path))
    if asked is not None and now - asked < min(seconds, RETRY_SECONDS):
        return False  # asked already (the commit is to come), or it failed a moment ago
    looked = _timed_looked.get(str(path))
    if looked is not None and now - looked < min(seconds, LOOK_EVERY_SECONDS):
        return False
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True  # never a checkpoint: the first entry asks for one
    if age >= seconds:
        return True
    _timed_looked[str(path)] = now
    return False


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
        cursor.execute(f"SELECT id, entry_hash FROM {TABLE} ORDER BY id DESC LIMIT 1")  # nosec B608  # the audit table's name and constants; values are parameters
        return cursor.fetchone() or (0, GENESIS)


@dataclass(frozen=True)
class LaneHead:
    """Where a lane ends: its number, the last entry's position, id and hash."""

    lane: int
    seq: int
    id: int
    hash: str

    def leaf(self) -> bytes:
        return canonical([self.lane, self.seq, self.id, self.hash]).encode()


def lane_heads() -> list[LaneHead]:
    """The last entry of every lane that has one, by lane (lane 0 from before lanes included)."""
    heads = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(lane) FROM {TABLE}")  # nosec B608  # the audit table's name and constants; values are parameters
        top = cursor.fetchone()[0]
        for lane in range(0 if top is None else top + 1):
            cursor.execute(
                f"SELECT seq, id, entry_hash FROM {TABLE} WHERE lane = %s AND seq IS NOT NULL "  # nosec B608  # the audit table's name and constants; values are parameters
                "ORDER BY seq DESC LIMIT 1",
                [lane],
            )
            found = cursor.fetchone()
            if found is None and lane == 0:
                legacy = _legacy_head(cursor)
                found = (legacy[0], legacy[0], legacy[1]) if legacy else None
            if found is not None:
                heads.append(LaneHead(lane, *found))
    return heads


def merkle_root(leaves: list[bytes]) -> str:
    """RFC 6962 Merkle tree hash: SHA-256 of 0x00 + leaf for a leaf, of 0x01 + left + right for a node."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()

    def node(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return hashlib.sha256(b"\x00" + items[0]).digest()
        split = 1 << ((len(items) - 1).bit_length() - 1)  # the largest power of two below the count
        return hashlib.sha256(b"\x01" + node(items[:split]) + node(items[split:])).digest()

    return node(leaves).hex()


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
    id: int,
    hash: str,
    at: str,
    sequence: int | None = None,
    previous: str = "",
    lanes: list | None = None,
    root: str | None = None,
) -> bytes:
    if sequence is None:
        return CHECKPOINT_PREFIX + canonical({"id": id, "hash": hash, "at": at}).encode()
    fields = {"id": id, "hash": hash, "at": at, "sequence": sequence, "previous": previous}
    if lanes is None:
        return CHECKPOINT_PREFIX_2 + canonical(fields).encode()
    return CHECKPOINT_PREFIX_3 + canonical({**fields, "lanes": lanes, "root": root}).encode()


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


def schedule() -> bool:
    """The worker's periodic look (``YANPIAO_PERIODIC_TASKS``): a checkpoint when the last is older
    than ``YANPIAO_AUDIT_CHECKPOINT_SECONDS``, even while the worker itself appends nothing;
    whether one was written.  Across several hosts, checkpoints belong in one data folder: there,
    set the worker's interval; elsewhere set both ``YANPIAO_AUDIT_CHECKPOINT_*`` to 0."""
    seconds = settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS
    return seconds > 0 and checkpoint(due_after=seconds) is not None


def _append_checkpoint(key: Ed25519PrivateKey, unkeyed_until: int | None = None) -> dict:
    sealed, problem = read_sealed()
    lines = _lines()
    problem = problem or _seal_problem(sealed, lines)
    if problem:
        raise AuditError(f"{problem}; no checkpoint written (see yanpiao audit verify)")
    sequence = len(lines) + 1
    previous = lines[-1].digest if lines else ""
    heads = lane_heads()
    head_id, head_hash = head()
    lanes = [[found.lane, found.seq, found.id, found.hash] for found in heads]
    root = merkle_root([found.leaf() for found in heads])
    at = instant(timezone.now())
    signature = key.sign(_checkpoint_message(head_id, head_hash, at, sequence, previous, lanes, root)).hex()
    signed = {
        "id": head_id,
        "hash": head_hash,
        "at": at,
        "sequence": sequence,
        "previous": previous,
        "lanes": lanes,
        "root": root,
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
    lanes: tuple[LaneHead, ...] | None = None  # None: a checkpoint from before lanes
    root: str | None = None

    def heads(self) -> tuple[LaneHead, ...]:
        """The lane heads it signs; one from before lanes signs lane 0 (the old chain) at its id."""
        if self.lanes is not None:
            return self.lanes
        return (LaneHead(0, self.id, self.id, self.hash),) if self.id else ()


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
            lanes = data.get("lanes")
            found = Checkpoint(
                number,
                int(data["id"]),
                str(data["hash"]),
                str(data["at"]),
                None if sequence is None else int(sequence),
                None
                if lanes is None
                else tuple(LaneHead(int(a), int(b), int(c), str(d)) for a, b, c, d in lanes),
                None if lanes is None else str(data["root"]),
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
                signature,
                _checkpoint_message(found.id, found.hash, found.at, found.sequence, link, lanes, found.root),
            )
            if found.lanes is not None and merkle_root([h.leaf() for h in found.lanes]) != found.root:
                raise InvalidSignature  # signed, but not by this code: the root must be the lanes'
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
            f"SELECT id, {at}, actor_id, action, target, {detail}, previous_hash, entry_hash, lane, seq "  # nosec B608  # the audit table's name and constants; values are parameters
            f"FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",
            [after, CHUNK],
        )
        return cursor.fetchall()


def _repeated_id() -> list[tuple[int, str]]:
    """The first id two entries share, with why it is bad; none.  On PostgreSQL the key is (id, at)
    (the log is partitioned by month), so the database no longer refuses a repeated id by itself."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE} GROUP BY id HAVING COUNT(*) > 1 ORDER BY id LIMIT 1")  # nosec B608  # the audit table's name
        found = cursor.fetchone()
    return (
        [(found[0], f"audit entry {found[0]} was written twice: two entries share its id")] if found else []
    )


def _stored_fields(row) -> tuple | None:
    """The chained fields of an entry as stored; None when a field is unreadable."""
    id, at, actor_id, action, target, detail, previous_hash = row[:7]
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
        cursor.execute(f"SELECT entry_hash FROM {TABLE} WHERE id = %s", [id])  # nosec B608  # the audit table's name and constants; values are parameters
        found = cursor.fetchone()
    return found[0] if found else None


def _first_missing(after: int, before: int) -> tuple[int, int]:
    """The first id between two entries (exclusive) that no entry has, and how many are missing."""
    first, missing, expected = None, 0, after + 1
    with connection.cursor() as cursor:
        while expected < before:
            cursor.execute(
                f"SELECT id FROM {TABLE} WHERE id >= %s AND id < %s ORDER BY id LIMIT %s",  # nosec B608  # the audit table's name and constants; values are parameters
                [expected, before, CHUNK],
            )
            present = [found for (found,) in cursor.fetchall()]
            for id in [*present, before] if len(present) < CHUNK else present:
                if id > expected:
                    first = expected if first is None else first
                    missing += id - expected
                expected = id + 1
            if len(present) < CHUNK:
                break
    return (before if first is None else first), missing


@dataclass
class _Lane:
    """How far one lane was found intact while walking the log."""

    seq: int = 0
    hash: str = GENESIS
    id: int = 0
    laned: bool = False  # an entry written in lanes was seen (lane 0: none from before may follow)
    broken: tuple[int, str] | None = None  # the first bad entry's id, and what is wrong


def _deleted(lane: int, state: _Lane, before: int, positions: int, after_text: str = "") -> tuple[int, str]:
    """``positions`` entries of a lane are gone after ``state``, whose ids lie before ``before``."""
    first, missing = _first_missing(state.id, before)
    if missing > positions:  # ids skipped by rolled-back writers look the same as deleted entries
        return first, (
            f"audit entry {first} was deleted, or one of the {missing} missing ids up to {before} "
            f"(lane {lane} lacks position {state.seq + 1}){after_text}"
        )
    return first, f"audit entry {first} was deleted{after_text}"


def _check_entry(row, state: _Lane, key: bytes, unkeyed_until: int, sealed) -> tuple[int, str] | None:
    """What is wrong with one entry, read after the entries of its lane before it; None if nothing."""
    id, lane, seq, stored_previous, stored = row[0], row[8], row[9], row[6], row[7]
    legacy = seq is None  # written before lanes: lane 0, position = id, lane and position not hashed
    position = id if legacy else seq
    altered = (id, f"audit entry {id} was altered")
    if legacy and (lane != 0 or state.laned):
        return altered
    if position > state.seq + 1:
        return _deleted(lane, state, id, position - state.seq - 1)
    if position <= state.seq:
        return altered
    fields = _stored_fields(row)
    if fields is None:
        return altered
    if legacy and id <= unkeyed_until:
        expected = unkeyed_hash(*fields)  # from before the keyed chain
    elif legacy:
        expected = entry_hash(*fields, key=key)  # keyed, from before lanes
    else:
        expected = lane_entry_hash(fields[0], id, lane, seq, *fields[2:], key=key)
    if not hmac.compare_digest(expected, stored):
        reason = altered[1]
        if id > unkeyed_until and unkeyed_hash(*fields) == stored:
            reason += (
                ": its hash is not keyed (rewritten without the key)"
                if sealed
                else f": it has an unkeyed hash, but the keyed chain starts at entry {unkeyed_until + 1} "
                f"(rewritten without the key, or {sealed_path()} was lost)"
            )
        return id, reason
    if stored_previous != state.hash:
        if state.id:
            return state.id, f"audit entry {state.id} was altered (entry {id} no longer follows it)"
        return altered
    return None


def verify() -> VerifyReport:
    """Walk every lane from its first entry, compare the lanes with the signed checkpoints and
    their sealed count, and check that the triggers guarding the table are in place.

    The first bad entry named is the one with the smallest id among each lane's first bad one.
    """
    checkpoints, checkpoint_problem = signed_checkpoints()
    if checkpoint_problem and "signing key does not decrypt" in checkpoint_problem:
        return VerifyReport(False, 0, 0, None, checkpoint_problem, problems=(checkpoint_problem,))
    sealed, sealed_problem = read_sealed()
    sealed_problem = sealed_problem or _seal_problem(sealed, _lines())
    unkeyed_until = sealed.unkeyed_until if sealed else 0
    key = chain_key()
    wanted = {(h.lane, h.seq) for found in checkpoints for h in found.heads()}
    hashes: dict[tuple[int, int], str] = {}  # (lane, position) -> hash, for the checkpointed ones
    lanes: dict[int, _Lane] = {}
    after, count, head_id = 0, 0, 0
    while True:
        rows = _rows(after)
        if not rows:
            break
        for row in rows:
            id, lane = row[0], row[8]
            after = head_id = id
            state = lanes.setdefault(lane, _Lane())
            if state.broken:
                continue
            state.broken = _check_entry(row, state, key, unkeyed_until, sealed)
            if state.broken:
                continue
            position = id if row[9] is None else row[9]
            state.seq, state.hash, state.id = position, row[7], id
            state.laned = state.laned or row[9] is not None
            if (lane, position) in wanted:
                hashes[lane, position] = row[7]
            count += 1
    last_checkpoint_id = max((found.id for found in checkpoints), default=None)

    found_bad: dict[int, tuple[int, str]] = {}  # lane -> its first bad entry and why
    extended: set[int] = set()
    trusted: dict[int, int] = {}  # lane -> the last checkpointed id found good
    for found in checkpoints:
        for lane_head in found.heads():
            lane = lane_head.lane
            state = lanes.get(lane, _Lane())
            if lane in found_bad:
                continue
            if state.broken:
                if lane_head.id >= state.broken[0] and lane not in extended:
                    # the first checkpoint past the break says how far the rewrite went
                    extended.add(lane)
                    bad_id, reason = state.broken
                    stored = _stored_hash(lane_head.id)
                    if stored is None:
                        state.broken = (
                            bad_id,
                            f"{reason}; the checkpoint of {found.at} covers entries up to {lane_head.id}",
                        )
                    elif stored != lane_head.hash:
                        state.broken = (
                            bad_id,
                            f"{reason}; entries {bad_id} to {lane_head.id} were rewritten "
                            f"(they no longer match the checkpoint of {found.at})",
                        )
                continue
            if lane_head.seq > state.seq:
                found_bad[lane] = _deleted(
                    lane,
                    state,
                    lane_head.id + 1,
                    lane_head.seq - state.seq,
                    f" (the checkpoint of {found.at} covers entries up to {lane_head.id})",
                )
            elif hashes.get((lane, lane_head.seq)) != lane_head.hash:
                since = trusted.get(lane)
                found_bad[lane] = (
                    lane_head.id,
                    f"audit entry {lane_head.id} was altered: it does not match the checkpoint of {found.at} "
                    + (
                        f"(lane {lane} was rewritten after entry {since})"
                        if since
                        else f"(lane {lane} was rewritten up to it)"
                    ),
                )
            else:
                trusted[lane] = lane_head.id
    for lane, state in lanes.items():
        if state.broken and lane not in found_bad:
            found_bad[lane] = state.broken
    bad = sorted([*found_bad.values(), *_repeated_id()])
    problems = [reason for _, reason in bad]
    problems += [p for p in (checkpoint_problem, sealed_problem) if p]
    problems += [str(problem) for problem in triggers.problems(connection)]
    if not problems:
        return VerifyReport(True, count, head_id, None, "", last_checkpoint_id, (), unkeyed_until)
    return VerifyReport(
        False,
        count,
        head_id,
        bad[0][0] if bad else None,
        problems[0],
        last_checkpoint_id,
        tuple(problems),
        unkeyed_until,
    )
