"""The audit log: the chain, the triggers, tampering found and named, checkpoints, the command."""

import base64
import contextlib
import hashlib
import hmac
import importlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory
from django.utils.timezone import now as django_now

from yanpiao.security import audit, keys
from yanpiao.security.fields import blind_index

pytestmark = pytest.mark.django_db

TABLE = audit.TABLE
append_only = importlib.import_module("yanpiao.security.migrations.0002_audit_table_append_only")


@pytest.fixture(autouse=True)
def home(settings, tmp_path, monkeypatch):
    """A data folder of its own (signing key, checkpoints), with the master key of the session.

    The chain is keyed from the master key, and entries committed by other tests (transactional
    ones) stay in the table: like a production process, each test takes the master key from the
    environment, the one they were chained with.
    """
    monkeypatch.setenv("YANPIAO_MASTER_KEY", base64.b64encode(keys.master_key()).decode())
    settings.HOME = tmp_path
    keys.forget()
    yield tmp_path
    keys.forget()


def chain_key():
    """HMAC-SHA256 under HKDF-SHA256(master key, info "yanpiao audit chain key"), as documented."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yanpiao audit chain key").derive(
        keys.master_key()
    )


@contextlib.contextmanager
def bypassing_triggers():
    """What an intruder with the database in hand can do: switch the triggers off for a while."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            for statement in append_only.drop_triggers(connection.vendor):
                cursor.execute(statement)
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
        else:
            for statement in append_only.triggers(connection.vendor):
                cursor.execute(statement)


def record_some(count=5):
    return [
        audit.record(
            audit.Action.VERIFICATION_CREATE,
            target=f"verification.verification:{n}",
            detail={"outcome": "authentic"},
        )
        for n in range(count)
    ]


def row(id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT previous_hash, entry_hash, action, target FROM {TABLE} WHERE id = %s", [id])
        return cursor.fetchone()


def entries():
    return audit.AuditEntry.objects.count()


def test_entries_form_a_chain():
    ids = record_some(4)
    assert ids == list(range(ids[0], ids[0] + 4))
    for previous, current in zip(ids, ids[1:], strict=False):
        assert row(current)[0] == row(previous)[1]  # one transaction: one lane
    report = audit.verify()
    assert report.ok, report.reason
    assert (report.count, report.head_id) == (entries(), ids[-1])
    assert report.summary() == f"audit log intact: {entries()} entries, no checkpoint yet"


def lane_before(entry):
    """The entry before ``entry`` in its lane; None for a lane's first."""
    return audit.AuditEntry.objects.filter(lane=entry.lane, seq=entry.seq - 1).first()


def test_first_entry_follows_zeros_and_hash_is_reproducible():
    record_some(1)
    entry = audit.tail(1)[0]
    before = lane_before(entry)
    assert entry.previous_hash == (audit.GENESIS if before is None else before.entry_hash)
    assert (entry.seq == 1) == (before is None)
    fields = {
        "id": entry.id,
        "lane": entry.lane,
        "seq": entry.seq,
        "at": audit.instant(entry.at),
        "actor_id": None,
        "action": "verification.create",
        "target": entry.target,
        "detail": {"outcome": "authentic"},
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = f"{entry.previous_hash}\n{text}".encode()
    assert entry.entry_hash == hmac.new(chain_key(), message, hashlib.sha256).hexdigest()


def test_details_are_stored_as_they_are_hashed():
    audit.record(
        audit.Action.REGISTRY_EXPORT,
        target="registry.invoice",
        detail={"total": Decimal("12.50"), "rows": 3, "z": [1, "二"]},
    )
    assert audit.tail(1)[0].detail == {"total": "12.50", "rows": 3, "z": [1, "二"]}
    assert audit.verify().ok


@pytest.mark.parametrize(
    "statement",
    [f"UPDATE {TABLE} SET target = 'nothing happened'", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"],
    ids=["update", "delete", "truncate"],
)
def test_database_refuses_changes(statement):
    if statement.startswith("TRUNCATE") and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    record_some(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert audit.verify().ok


@pytest.mark.parametrize(
    "change",
    [
        "target = 'verification.verification:999'",
        "action = 'registry.export'",
        "actor_id = 1",
        """detail = '{"outcome":"not_found"}'""",
        "id = id + 1000",
    ],
)
def test_an_edited_entry_is_named(change):
    ids = record_some(5)
    with bypassing_triggers() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {change} WHERE id = %s", [ids[2]])
    report = audit.verify()
    assert not report.ok
    assert report.first_bad_id == ids[2]
    assert report.reason.startswith(f"audit entry {ids[2]} was ")


def test_an_edited_time_is_named():
    ids = record_some(3)
    with bypassing_triggers() as cursor:
        shifted = "at - interval '1 hour'" if connection.vendor == "postgresql" else "datetime(at, '-1 hour')"
        cursor.execute(f"UPDATE {TABLE} SET at = {shifted} WHERE id = %s", [ids[1]])
    report = audit.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False,
        ids[1],
        f"audit entry {ids[1]} was altered",
    )


def test_an_entry_rewritten_with_a_fresh_hash_is_named():
    ids = record_some(5)
    previous_hash = row(ids[1])[0]
    forged = audit.tail(5)[1]
    new_hash = audit.lane_entry_hash(  # with the key in hand
        previous_hash,
        forged.id,
        forged.lane,
        forged.seq,
        audit.instant(forged.at),
        None,
        "verification.create",
        "forged",
        {"outcome": "authentic"},
    )
    with bypassing_triggers() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET target = 'forged', entry_hash = %s WHERE id = %s", [new_hash, ids[1]]
        )
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, ids[1])
    assert report.reason == f"audit entry {ids[1]} was altered (entry {ids[2]} no longer follows it)"


def test_a_deleted_entry_is_named():
    ids = record_some(5)
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [ids[2]])
    report = audit.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False,
        ids[2],
        f"audit entry {ids[2]} was deleted",
    )


def test_deleted_last_entries_are_found_through_the_checkpoint():
    ids = record_some(5)
    audit.checkpoint()
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [ids[3]])
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, ids[3])
    assert report.reason.startswith(f"audit entry {ids[3]} was deleted (the checkpoint of ")


def test_without_a_checkpoint_a_shortened_log_looks_intact():
    """Why checkpoints exist: the chain alone cannot tell a short log from a cut one."""
    ids = record_some(5)
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id >= %s", [ids[3]])
    assert audit.verify().ok


def test_a_rewritten_head_is_found_through_the_checkpoint():
    ids = record_some(3)
    audit.checkpoint()
    head = audit.tail(1)[0]
    new_hash = audit.lane_entry_hash(
        head.previous_hash,
        head.id,
        head.lane,
        head.seq,
        audit.instant(head.at),
        None,
        "verification.create",
        "x",
        {},
    )
    with bypassing_triggers() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET target = 'x', detail = '{{}}', entry_hash = %s WHERE id = %s",
            [new_hash, ids[-1]],
        )
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, ids[-1])
    assert report.reason.startswith(f"audit entry {ids[-1]} was altered: it does not match the checkpoint")


def test_checkpoints_are_signed_with_the_published_key(home):
    ids = record_some(2)
    signed = audit.checkpoint()
    assert (signed["id"], signed["hash"]) == (ids[-1], row(ids[-1])[1])
    line = json.loads((home / "audit" / "checkpoints.jsonl").read_text().splitlines()[-1])
    assert line == signed
    published = Ed25519PublicKey.from_public_bytes(
        bytes.fromhex((home / "audit" / "signing-key.pub").read_text())
    )
    assert (line["sequence"], line["previous"]) == (1, "")
    head = audit.tail(1)[0]
    assert [head.lane, head.seq, head.id, head.entry_hash] in line["lanes"]
    signed = {key: line[key] for key in ("at", "hash", "id", "lanes", "previous", "root", "sequence")}
    message = b"yanpiao audit checkpoint 3\n" + json.dumps(signed, separators=(",", ":")).encode()
    published.verify(bytes.fromhex(line["signature"]), message)  # raises if it does not hold
    secret = home / "keys" / "audit-signing.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    raw = audit.signing_key().private_bytes_raw()
    assert raw not in secret.read_bytes() and raw.hex().encode() not in secret.read_bytes()
    report = audit.verify()
    assert report.ok and report.last_checkpoint_id == ids[-1]


@pytest.mark.parametrize("forgery", ["signature", "id", "foreign key"])
def test_a_forged_checkpoint_is_detected(home, forgery):
    record_some(3)
    audit.checkpoint()
    path = home / "audit" / "checkpoints.jsonl"
    line = json.loads(path.read_text())
    if forgery == "signature":
        line["signature"] = ("0" if line["signature"][0] != "0" else "1") + line["signature"][1:]
    elif forgery == "id":
        line["id"] += 1
    else:
        intruder = Ed25519PrivateKey.generate()
        message = audit._checkpoint_message(line["id"] + 5, "f" * 64, line["at"])
        line.update(id=line["id"] + 5, hash="f" * 64, signature=intruder.sign(message).hex())
        line["key"] = intruder.public_key().public_bytes_raw().hex()
    path.write_text(json.dumps(line) + "\n")
    report = audit.verify()
    assert not report.ok
    assert report.reason == f"checkpoint on line 1 of {path} has a bad signature"


def test_a_damaged_checkpoint_line_is_reported(home):
    record_some(1)
    audit.checkpoint()
    path = home / "audit" / "checkpoints.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    report = audit.verify()
    assert not report.ok and report.reason == f"checkpoint on line 2 of {path} is damaged"


def test_a_checkpoint_is_written_every_n_entries(home, settings, django_capture_on_commit_callbacks):
    settings.YANPIAO_AUDIT_CHECKPOINT_EVERY = 3
    settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = record_some(3)
    assert len(callbacks) == 1
    lines = (home / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [ids[-1]]
    assert audit.verify().last_checkpoint_id == ids[-1]


def test_no_automatic_checkpoint_when_turned_off(home, settings, django_capture_on_commit_callbacks):
    settings.YANPIAO_AUDIT_CHECKPOINT_EVERY = 0
    settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_some(3)
    assert callbacks == [] and not (home / "audit" / "checkpoints.jsonl").exists()


# --- account events ----------------------------------------------------------------------------


@pytest.fixture
def alice():
    return get_user_model().objects.create_user(email="Alice@Example.com", password="correct horse battery")


def all_text():
    return " ".join(
        f"{e.action} {e.target} {json.dumps(e.detail, ensure_ascii=False)}" for e in audit.tail(50)
    )


def test_signup_is_recorded_without_the_address(alice):
    entry = audit.tail(1)[0]
    assert (entry.action, entry.target, entry.detail) == (
        "account.signup",
        f"accounts.user:{alice.pk}",
        {"role": "taxpayer"},
    )
    assert "alice" not in all_text().lower()


def test_login_is_recorded(client, alice):
    client.force_login(alice)
    entry = audit.tail(1)[0]
    assert (entry.action, entry.actor_id, entry.target) == (
        "account.login",
        alice.pk,
        f"accounts.user:{alice.pk}",
    )


def test_failed_login_is_recorded_by_blind_index_only(alice):
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="alice@example.com", password="wrong password") is None
    entry = audit.tail(1)[0]
    assert entry.action == "account.login_failed" and entry.actor_id is None
    assert entry.detail == {"login_index": blind_index("alice@example.com", "audit login")}
    assert "alice" not in all_text().lower() and "example.com" not in all_text()


def test_role_changes_are_recorded(alice):
    alice.role = "auditor"
    alice.save()
    entry = audit.tail(1)[0]
    assert (entry.action, entry.target) == ("account.powers_change", f"accounts.user:{alice.pk}")
    assert entry.detail == {"role": ["taxpayer", "auditor"]}
    alice.display_name = "A."
    alice.save()
    alice.save(update_fields=["last_login"])
    assert audit.tail(1)[0].id == entry.id
    assert audit.verify().ok


# --- the command -------------------------------------------------------------------------------


def command(*argv):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", *argv, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip(), err.getvalue().strip()


def test_command_checkpoint_then_verify():
    ids = record_some(3)
    code, out, _ = command("checkpoint")
    assert code == 0 and out.startswith(f"checkpoint at id {ids[-1]}: {row(ids[-1])[1]} signed at ")
    assert command("verify") == (
        0,
        f"audit log intact: {entries()} entries, last checkpoint at id {ids[-1]}",
        "",
    )
    code, out, _ = command("tail", "-n", "2")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == [str(i) for i in ids[-2:]]


def test_command_names_the_altered_entry():
    ids = record_some(3)
    with bypassing_triggers() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET target = 'x' WHERE id = %s", [ids[1]])
    assert command("verify") == (1, "", f"audit entry {ids[1]} was altered")


def test_cli_from_a_fresh_home_with_concurrent_writers(tmp_path):
    """Three processes append at once to one SQLite file; the chain stays whole, then a change is named."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "cli")
    yanpiao = [sys.executable, "-m", "yanpiao.cli"]
    done = subprocess.run([*yanpiao, "audit", "verify"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, "audit log intact: 0 entries, no checkpoint yet")
    script = (
        "from yanpiao.security import audit\n"
        "for n in range(100): audit.record('verification', target=f'invoice {n}')\n"
    )
    writers = [subprocess.Popen([*yanpiao, "shell", "-c", script], env=env) for _ in range(3)]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    done = subprocess.run([*yanpiao, "audit", "checkpoint"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("checkpoint at id 300: ")
    done = subprocess.run([*yanpiao, "audit", "verify"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "audit log intact: 300 entries, last checkpoint at id 300",
    )

    database = sqlite3.connect(tmp_path / "cli" / "yanpiao.sqlite3", isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        database.execute(f"DELETE FROM {TABLE} WHERE id = 120")
    database.execute(f"DROP TRIGGER {TABLE}_no_delete")
    database.execute(f"DELETE FROM {TABLE} WHERE id = 120")
    database.close()
    done = subprocess.run([*yanpiao, "audit", "verify"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stderr.strip().splitlines()) == (
        1,
        ["audit entry 120 was deleted", f"the trigger {TABLE}_no_delete is missing: run yanpiao migrate"],
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_threads_keep_their_lanes_whole():
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is shared by threads; see the CLI test for SQLite")
    start = audit.head()[0]
    errors = []

    def write():
        try:
            for n in range(50):
                audit.record(audit.Action.VERIFICATION_CREATE, target=f"verification.verification:{n}")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert audit.AuditEntry.objects.filter(id__gt=start).count() == 200  # ids from a sequence: gaps allowed
    assert audit.verify().ok


def test_a_wrong_master_key_is_reported(home, monkeypatch):
    record_some(1)
    audit.checkpoint()
    monkeypatch.setenv("YANPIAO_MASTER_KEY", base64.b64encode(bytes(32)).decode())
    keys.forget()
    audit._signing_keys.clear()
    report = audit.verify()
    assert not report.ok and "signing key does not decrypt" in report.reason


# --- what a hostile probe tried (issue 9) --------------------------------------------------------


def unkeyed_hash(previous_hash, entry):
    """The only hash an intruder without the master key can compute: the plain SHA-256 of the chain."""
    fields = {
        "id": entry.id,
        "at": audit.instant(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous_hash}\n{text}".encode()).hexdigest()


def rewrite_from(first_id, target="forged"):
    """Rewrite every entry from ``first_id`` to the head and recompute the chain, as an intruder would."""
    entries = list(audit.AuditEntry.objects.filter(id__gte=first_id).order_by("id"))
    previous = entries[0].previous_hash
    with bypassing_triggers() as cursor:
        for entry in entries:
            entry.target = target
            digest = unkeyed_hash(previous, entry)
            cursor.execute(
                f"UPDATE {TABLE} SET target = %s, previous_hash = %s, entry_hash = %s WHERE id = %s",
                [target, previous, digest, entry.id],
            )
            previous = digest


REPLACING = {
    "insert or replace": "INSERT OR REPLACE INTO {table} SELECT id, at, actor_id, action, 'forged', detail, "
    "previous_hash, entry_hash, lane, seq FROM {table} WHERE id = %s",
    "replace": "REPLACE INTO {table} SELECT id, at, actor_id, action, 'forged', detail, previous_hash, "
    "entry_hash, lane, seq FROM {table} WHERE id = %s",
    "upsert": "INSERT INTO {table} SELECT id, at, actor_id, action, 'forged', detail, previous_hash, "
    "entry_hash, lane, seq FROM {table} WHERE id = %s ON CONFLICT (id) DO UPDATE SET target = 'forged'",
}


@pytest.mark.parametrize("how", REPLACING)
def test_an_entry_cannot_be_replaced_by_an_insert(how):
    if how != "upsert" and connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    ids = record_some(5)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        statement = REPLACING[how]
        if connection.vendor == "postgresql":  # the key is (id, at): the table is partitioned by month
            statement = statement.replace("ON CONFLICT (id)", "ON CONFLICT (id, at)")
        cursor.execute(statement.format(table=TABLE), [ids[2]])
    assert row(ids[2])[3] == f"verification.verification:{2}"
    assert audit.verify().ok


def test_the_chain_is_keyed():
    ids = record_some(2)
    entry = audit.tail(1)[0]
    assert entry.id == ids[-1]
    assert entry.entry_hash != unkeyed_hash(entry.previous_hash, entry)


def test_a_chain_rewritten_to_the_head_is_named_without_a_checkpoint():
    ids = record_some(6)
    rewrite_from(ids[2])
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, ids[2])
    assert report.reason.startswith(f"audit entry {ids[2]} was altered")


def test_a_chain_rewritten_under_a_checkpoint_names_the_first_rewritten_entry():
    ids = record_some(6)
    audit.checkpoint()
    rewrite_from(ids[2])
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, ids[2])
    assert report.reason.startswith(f"audit entry {ids[2]} was altered")
    assert f"entries {ids[2]} to {ids[-1]} were rewritten" in report.reason


def three_checkpoints():
    for _ in range(3):
        record_some(1)
        audit.checkpoint()


@pytest.mark.parametrize("damage", ["deleted", "emptied", "last removed", "middle removed", "first removed"])
def test_removed_checkpoints_are_detected(home, damage):
    three_checkpoints()
    path = home / "audit" / "checkpoints.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    kept = {"emptied": [], "last removed": lines[:2], "middle removed": [lines[0], lines[2]]}
    if damage == "deleted":
        path.unlink()
    else:
        path.write_text("".join(kept.get(damage, lines[1:])))
    report = audit.verify()
    assert not report.ok
    if damage in ("middle removed", "first removed"):
        assert "checkpoints were removed" in report.reason
    else:
        assert report.reason.startswith(
            f"{path} holds {len(kept.get(damage, []))} checkpoints, but 3 were written"
        )


def test_checkpoints_carry_their_sequence_and_the_one_before(home):
    three_checkpoints()
    lines = [json.loads(line) for line in (home / "audit" / "checkpoints.jsonl").read_text().splitlines()]
    assert [line["sequence"] for line in lines] == [1, 2, 3]
    assert lines[0]["previous"] == ""
    assert lines[2]["previous"] == hashlib.sha256(bytes.fromhex(lines[1]["signature"])).hexdigest()


def test_a_tampered_or_missing_sealed_count_is_detected(home):
    three_checkpoints()
    sealed = home / "audit" / "checkpoints.sealed"
    data = json.loads(sealed.read_text())
    data["count"] = 1
    sealed.write_text(json.dumps(data))
    report = audit.verify()
    assert not report.ok and report.reason == f"the sealed checkpoint count {sealed} does not hold"
    sealed.unlink()
    report = audit.verify()
    assert not report.ok and report.reason == f"the sealed checkpoint count {sealed} is missing"


def test_a_checkpoint_is_written_after_an_interval(
    home, settings, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(audit, "LOOK_EVERY_SECONDS", 0)  # the file's age is looked at on every entry
    settings.YANPIAO_AUDIT_CHECKPOINT_EVERY = 0
    settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS = 60
    path = home / "audit" / "checkpoints.jsonl"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = record_some(3)  # no checkpoint yet: the first entry asks for one
    assert len(callbacks) == 1
    recent = time.time() - 30
    os.utime(path, (recent, recent))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_some(2)
    assert callbacks == []
    stale = time.time() - 61
    os.utime(path, (stale, stale))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        last = record_some(2)
    assert len(callbacks) == 1
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [first[-1], last[-1]]


def drop_trigger(name):
    with connection.cursor() as cursor:
        on = f" ON {TABLE}" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER {name}{on}")


@pytest.mark.parametrize("event", ["update", "delete"])
def test_verify_names_a_missing_trigger_and_migrate_recreates_it(event):
    ids = record_some(2)
    drop_trigger(f"{TABLE}_no_{event}")
    report = audit.verify()
    assert not report.ok
    assert report.reason == f"the trigger {TABLE}_no_{event} is missing: run yanpiao migrate"
    call_command("migrate", verbosity=0)
    report = audit.verify()
    assert report.ok, report.reason
    restored = audit.tail(1)[0]
    assert (restored.action, restored.detail) == (
        "audit.trigger_restore",
        {"trigger": f"{TABLE}_no_{event}", "table": TABLE, "was": "missing"},
    )
    statement = f"DELETE FROM {TABLE}" if event == "delete" else f"UPDATE {TABLE} SET target = 'x'"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement + " WHERE id = %s", [ids[0]])


def test_verify_names_disabled_triggers_and_migrate_enables_them():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite triggers cannot be disabled")
    record_some(2)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update")
    report = audit.verify()
    assert not report.ok
    assert report.reason == f"the trigger {TABLE}_no_update is disabled: run yanpiao migrate"
    call_command("migrate", verbosity=0)
    assert audit.verify().ok


def write_unkeyed_log(count):
    """A log written before the chain was keyed: the plain SHA-256 chain, from entry 1."""
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # the test's transaction brings back what was there
    previous = audit.GENESIS
    for id in range(1, count + 1):
        entry = audit.AuditEntry(
            id=id,
            at=django_now(),
            actor_id=None,
            action="verification.create",
            target=f"verification.verification:{id}",
            detail={"outcome": "authentic"},
        )
        digest = unkeyed_hash(previous, entry)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (id, at, actor_id, action, target, detail, previous_hash, entry_hash) "
                "VALUES (%s, %s, NULL, %s, %s, %s, %s, %s)",
                [
                    id,
                    connection.ops.adapt_datetimefield_value(entry.at),
                    entry.action,
                    entry.target,
                    '{"outcome":"authentic"}',
                    previous,
                    digest,
                ],
            )
        previous = digest


def test_an_unkeyed_log_from_before_is_sealed_on_migrate_and_still_checked(home, settings):
    settings.YANPIAO_AUDIT_LANES = 1  # lane 0 goes on from the entries of before
    settings.YANPIAO_AUDIT_HELD_LANES = 0  # no writer holds a lane of its own
    write_unkeyed_log(4)
    upgrade = importlib.import_module("yanpiao.security.migrations.0004_keyed_audit_chain")
    upgrade.seal_unkeyed_entries(None, connection.schema_editor())
    lines = (home / "audit" / "checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [4]  # the unkeyed head, signed at the upgrade
    ids = record_some(2)
    if connection.vendor == "sqlite":
        assert ids == [5, 6]  # on PostgreSQL the sequence has gone past the ids of the tests before
    assert ids[1] == ids[0] + 1 and ids[0] > 4 and row(ids[0])[0] == row(4)[1]
    assert [(e.lane, e.seq) for e in audit.AuditEntry.objects.filter(id__in=ids)] == [(0, 5), (0, 6)]
    report = audit.verify()
    assert report.ok, report.reason
    assert (
        report.summary()
        == "audit log intact: 6 entries (1 to 4 from before the keyed chain), last checkpoint at id 4"
    )
    with bypassing_triggers() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET target = 'x' WHERE id = 2")
    assert audit.verify().reason == "audit entry 2 was altered"


def test_unkeyed_entries_are_refused_without_the_sealed_upgrade(home):
    write_unkeyed_log(3)
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, 1)
    assert report.reason == (
        "audit entry 1 was altered: it has an unkeyed hash, but the keyed chain starts at entry 1 "
        f"(rewritten without the key, or {home / 'audit' / 'checkpoints.sealed'} was lost)"
    )


def test_a_trigger_or_function_replaced_by_a_harmless_one_is_named_and_restored():
    ids = record_some(2)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            name, kind = f"{TABLE}_append_only", "function"
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN OLD; END$$"
            )
        else:
            name, kind = f"{TABLE}_no_delete", "trigger"
            cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute(f"CREATE TRIGGER {name} BEFORE DELETE ON {TABLE} WHEN 0 BEGIN SELECT 1; END")
    report = audit.verify()
    assert not report.ok and report.reason == f"the {kind} {name} was changed: run yanpiao migrate"
    call_command("migrate", verbosity=0)
    assert audit.verify().ok
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [ids[0]])


def test_no_checkpoint_over_removed_ones_until_resealed(home):
    three_checkpoints()
    (home / "audit" / "checkpoints.jsonl").write_text("")
    with pytest.raises(audit.AuditError, match="holds 0 checkpoints, but 3 were written"):
        audit.checkpoint()
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit", "checkpoint")
    code, out, _ = command("checkpoint", "--reseal")
    assert code == 0 and out.startswith("sealed count 3 -> 0\ncheckpoint at id ")
    resealed = audit.tail(1)[0]
    assert (resealed.action, resealed.detail) == ("audit.reseal", {"was": 3, "now": 0})
    report = audit.verify()
    assert report.ok, report.reason
    assert report.last_checkpoint_id == resealed.id


def test_the_worker_writes_a_checkpoint_when_one_is_due_even_with_nothing_appended(home, settings):
    assert "yanpiao.security.audit.schedule" in settings.YANPIAO_PERIODIC_TASKS
    settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS = 60
    record_some(1)
    path = home / "audit" / "checkpoints.jsonl"
    assert audit.schedule() is True  # never a checkpoint yet
    assert audit.schedule() is False  # the last is recent
    stale = time.time() - 61
    os.utime(path, (stale, stale))
    assert audit.schedule() is True
    assert len(path.read_text().splitlines()) == 2
    settings.YANPIAO_AUDIT_CHECKPOINT_SECONDS = 0  # checkpoints are another host's
    os.utime(path, (stale, stale))
    assert audit.schedule() is False
