"""The audit log's lanes: parallel chains, each whole; checkpoints of every lane's head; writers apart."""

import base64
import hashlib
import json
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils.timezone import now as django_now

from yanpiao.security import audit, keys
from yanpiao.security.models import AuditEntry

from .test_audit import bypassing_triggers

pytestmark = pytest.mark.django_db

TABLE = audit.TABLE


@pytest.fixture(autouse=True)
def home(settings, tmp_path, monkeypatch):
    """A data folder of its own, with the master key of the session (see test_audit.home)."""
    monkeypatch.setenv("YANPIAO_MASTER_KEY", base64.b64encode(keys.master_key()).decode())
    settings.HOME = tmp_path
    keys.forget()
    yield tmp_path
    keys.forget()


def append(lane, id=None, seq="next", target="verification.verification:1", legacy=False):
    """An entry as another writer appends it to ``lane`` (keyed, so only with the master key)."""
    with connection.cursor() as cursor:
        if id is None:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}")
            id = cursor.fetchone()[0] + 1
        if legacy:  # the entries from before lanes: one chain by id
            last = AuditEntry.objects.filter(seq__isnull=True).order_by("-id").first()
        else:
            last = AuditEntry.objects.filter(lane=lane, seq__isnull=False).order_by("-seq").first()
        previous = last.entry_hash if last else audit.GENESIS
        if seq == "next" and not legacy:
            seq = last.seq + 1 if last else 1
        at = django_now()
        fields = (audit.instant(at), None, "verification.create", target, {})
        if legacy:
            digest = audit.entry_hash(previous, id, *fields)
        else:
            digest = audit.lane_entry_hash(previous, id, lane, seq, *fields)
        cursor.execute(
            f"INSERT INTO {TABLE} (id, at, actor_id, action, target, detail, previous_hash, entry_hash, lane, seq) "
            "VALUES (%s, %s, NULL, %s, %s, %s, %s, %s, %s, %s)",
            [
                id,
                connection.ops.adapt_datetimefield_value(at),
                "verification.create",
                target,
                "{}",
                previous,
                digest,
                lane,
                None if legacy else seq,
            ],
        )
    return id


def interleaved():
    """Lanes 1 and 2 written in turn: ids a1 < b1 < a2 < b2 < a3."""
    return [append(lane) for lane in (1, 2, 1, 2, 1)]


def test_each_lane_is_a_chain_of_its_own_and_verifies():
    a1, b1, a2, b2, a3 = interleaved()
    entries = {e.id: e for e in AuditEntry.objects.filter(id__in=[a1, b1, a2, b2, a3])}
    assert [(entries[i].lane, entries[i].seq) for i in (a1, b1, a2, b2, a3)] == [
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
        (1, 3),
    ]
    assert entries[a1].previous_hash == entries[b1].previous_hash == audit.GENESIS
    assert entries[a2].previous_hash == entries[a1].entry_hash
    assert entries[b2].previous_hash == entries[b1].entry_hash
    report = audit.verify()
    assert report.ok, report.reason
    assert (report.count, report.head_id) == (AuditEntry.objects.count(), a3)


def test_a_deleted_entry_of_one_lane_is_named():
    a1, b1, a2, b2, a3 = interleaved()
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [a2])
    report = audit.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (False, a2, f"audit entry {a2} was deleted")


def test_the_first_bad_entry_is_the_smallest_id_among_the_lanes():
    a1, b1, a2, b2, a3 = interleaved()
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [a2])
        cursor.execute(f"UPDATE {TABLE} SET target = 'forged' WHERE id = %s", [b1])
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, b1)
    assert report.problems[:2] == (f"audit entry {b1} was altered", f"audit entry {a2} was deleted")


def test_the_end_of_a_lane_removed_is_found_through_the_checkpoint():
    a1, b1, a2, b2, a3 = interleaved()
    audit.checkpoint()
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [b2])  # lane 2's head, not the log's
    report = audit.verify()
    assert (report.ok, report.first_bad_id) == (False, b2)
    assert report.reason.startswith(f"audit entry {b2} was deleted (the checkpoint of ")


def test_without_a_checkpoint_the_end_of_a_lane_removed_looks_intact():
    a1, b1, a2, b2, a3 = interleaved()
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [b2])
    assert audit.verify().ok


def rfc6962_root(leaves):
    """RFC 6962 section 2.1, written out for three leaves."""

    def leaf(data):
        return hashlib.sha256(b"\x00" + data).digest()

    def node(left, right):
        return hashlib.sha256(b"\x01" + left + right).digest()

    assert len(leaves) == 3
    return node(node(leaf(leaves[0]), leaf(leaves[1])), leaf(leaves[2])).hex()


def test_a_checkpoint_signs_every_lane_head_and_their_merkle_root(home):
    audit.record(audit.Action.VERIFICATION_CREATE, target="verification.verification:0")
    interleaved()
    signed = audit.checkpoint()
    heads = [
        [lane, e.seq, e.id, e.entry_hash]
        for lane in sorted(set(AuditEntry.objects.values_list("lane", flat=True)))
        for e in [AuditEntry.objects.filter(lane=lane).order_by("-seq").first()]
    ]
    assert signed["lanes"] == heads
    assert (signed["id"], signed["hash"]) == audit.head()
    leaves = [json.dumps(head, separators=(",", ":")).encode() for head in heads]
    if len(leaves) == 3:
        assert signed["root"] == rfc6962_root(leaves)
    assert signed["root"] == audit.merkle_root(leaves)
    assert audit.verify().ok


def test_a_checkpoint_whose_lanes_were_changed_is_refused(home):
    interleaved()
    audit.checkpoint()
    path = home / "audit" / "checkpoints.jsonl"
    line = json.loads(path.read_text())
    line["lanes"] = line["lanes"][1:]  # drop a lane from what was signed
    path.write_text(json.dumps(line) + "\n")
    report = audit.verify()
    assert report.reason == f"checkpoint on line 1 of {path} has a bad signature"


def test_an_entry_cannot_pass_as_one_from_before_lanes():
    """Entries from before lanes (no position) are hashed without lane and position: only lane 0
    may hold them, and none may come after a lane-0 entry that has a position."""
    first = append(2)
    stray = append(2, legacy=True)  # hashed the old way, with the key in hand, in lane 2
    report = audit.verify()
    assert (report.ok, report.first_bad_id, report.reason) == (
        False,
        stray,
        f"audit entry {stray} was altered",
    )
    with bypassing_triggers() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET seq = NULL WHERE id = %s", [first])
    assert audit.verify().first_bad_id == first


def test_a_second_entry_at_a_lane_position_is_refused_or_named():
    """SQLite refuses it; on PostgreSQL the unique index holds the month too (the table is
    partitioned by it), so a second entry a moment later is stored, and verify names it."""
    interleaved()
    if connection.vendor == "sqlite":
        with pytest.raises(IntegrityError), transaction.atomic():
            append(1, seq=2)
        assert audit.verify().ok
        return
    second = append(1, seq=2)
    report = audit.verify()
    assert not report.ok
    assert report.first_bad_id == second


@pytest.mark.django_db(transaction=True)
def test_a_writer_holding_a_lane_does_not_hold_up_another(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    settings.YANPIAO_AUDIT_LANES = 4
    holding, release, held = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                held.append(
                    audit.record(audit.Action.VERIFICATION_CREATE, target="verification.verification:1")
                )
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    writer = threading.Thread(target=hold)
    writer.start()
    try:
        assert holding.wait(30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")  # a wait for the held lane would fail here
            mine = audit.record(audit.Action.VERIFICATION_CREATE, target="verification.verification:2")
    finally:
        release.set()
        writer.join()
    lanes = dict(AuditEntry.objects.filter(id__in=[held[0], mine]).values_list("id", "lane"))
    assert lanes[held[0]] != lanes[mine]
    assert audit.verify().ok


def test_ids_inserted_past_the_sequence_are_stepped_over(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite ids follow the last one")
    settings.YANPIAO_AUDIT_HELD_LANES = 0  # a shared lane: an id straight from the sequence
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {audit.SEQUENCE}")
        past = cursor.fetchone()[0] + 100
    append(1, id=past)
    assert audit.record(audit.Action.VERIFICATION_CREATE) > past
    assert audit.verify().ok


def test_a_checkpoint_from_before_lanes_signs_lane_0_at_its_id(home):
    """A one-head checkpoint (format 2) of entries from before lanes still finds them removed."""
    legacy = [append(0, legacy=True) for _ in range(3)] if not AuditEntry.objects.exists() else None
    if legacy is None:
        pytest.skip("entries of committed tests are in the log: entries from before lanes come first")
    key = audit.signing_key()
    at = audit.instant(django_now())
    head_hash = AuditEntry.objects.get(id=legacy[-1]).entry_hash
    signature = key.sign(audit._checkpoint_message(legacy[-1], head_hash, at, 1, "")).hex()
    line = {
        "id": legacy[-1],
        "hash": head_hash,
        "at": at,
        "sequence": 1,
        "previous": "",
        "signature": signature,
    }
    (home / "audit").mkdir(exist_ok=True)
    (home / "audit" / "checkpoints.jsonl").write_text(audit.canonical(line) + "\n")
    audit._write_sealed(audit.Sealed(1, audit.signature_digest(signature), 0))
    assert audit.verify().ok
    with bypassing_triggers() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [legacy[-1]])
    report = audit.verify()
    assert (report.first_bad_id, report.reason) == (
        legacy[-1],
        f"audit entry {legacy[-1]} was deleted (the checkpoint of {at} covers entries up to {legacy[-1]})",
    )


def record_in_turn(count=3):
    return [
        audit.record(audit.Action.VERIFICATION_CREATE, target=f"verification.verification:{n}")
        for n in range(count)
    ]


def test_a_postgresql_connection_writes_in_a_lane_it_holds_after_the_shared_ones():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers hold no lane")
    ids = record_in_turn()
    lanes = set(AuditEntry.objects.filter(id__in=ids).values_list("lane", flat=True))
    assert len(lanes) == 1 and lanes.pop() >= audit.lanes()
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_two_connections_hold_two_lanes(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers hold no lane")
    other = []

    def write():
        try:
            other.extend(record_in_turn())
        finally:
            connections.close_all()

    mine = record_in_turn()
    writer = threading.Thread(target=write)
    writer.start()
    writer.join()
    lane_of = dict(AuditEntry.objects.filter(id__in=mine + other).values_list("id", "lane"))
    assert {lane_of[id] for id in mine}.isdisjoint({lane_of[id] for id in other})
    assert audit.verify().ok


def test_an_entry_rolled_back_is_not_followed():
    """The writer guesses its lane's head from what it wrote last; a rollback proves the guess wrong."""
    record_in_turn(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_in_turn(2)
        raise RuntimeError("the check failed after its entry")
    record_in_turn(2)
    assert audit.verify().ok


def test_an_entry_after_another_writer_follows_it():
    """SQLite: a writer appends after its own last entry only while that is still the log's last."""
    record_in_turn(1)
    append(audit.lanes() - 1 if connection.vendor == "sqlite" else 1)
    record_in_turn(2)
    assert audit.verify().ok


def test_a_writer_holding_a_lane_steps_over_an_id_inserted_by_hand():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite ids follow the last one")
    [first] = record_in_turn(1)
    append(1, id=first + 1)  # the next id this connection reserved, or past them all
    [after] = record_in_turn(1)
    assert after > first + 1
    assert audit.verify().ok
