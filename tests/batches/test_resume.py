"""A worker killed with SIGKILL in the middle of a batch loses nothing: another worker takes over
its chunk once the lease runs out, and every row ends with exactly one check and one result."""

import csv
import signal
import sqlite3

import pytest

from tests.batches.test_commands import key_table, registry_home, start, wait_for
from tests.support.processes import HAS_PROC

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="kills processes")

ROWS_PER_CHUNK = "4"
LEASE = "2"  # seconds: the killed worker's chunk is free again soon


def state(home) -> tuple[int, int, int]:
    """(rows processed, chunks claimed, chunks done) of the one batch, as the database has it now."""
    with sqlite3.connect(home / "yanpiao.sqlite3", timeout=30) as database:
        processed = database.execute("SELECT coalesce(max(processed), 0) FROM batches_batch").fetchone()[0]
        claimed, done = database.execute(
            "SELECT count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE status = 'done')"
            " FROM batches_chunk"
        ).fetchone()
    return processed, claimed, done


def test_a_worker_killed_mid_batch_leaves_every_row_to_be_verified_exactly_once(tmp_path):
    home = tmp_path / "home"
    env, normal = registry_home(
        home, 800, YANPIAO_BATCH_CHUNK_ROWS=ROWS_PER_CHUNK, YANPIAO_BATCH_LEASE_SECONDS=LEASE
    )
    rows = key_table(tmp_path / "rows.csv", (normal * 3)[:2000])  # every invoice two or three times
    result = tmp_path / "result.csv"
    # The command creates the batch and follows it; the workers do the work.
    following = start(env, "batch", str(rows), "-o", str(result), "--workers", "0")
    doomed = start(env, "worker", "--worker-id", "doomed")
    try:
        wait_for(
            lambda: state(home)[0] >= 400 and state(home)[1], "the first worker to be in the middle of it"
        )
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        processed, claimed, done = state(home)
        assert 0 < processed < 2000
        successor = start(env, "worker")
        try:
            assert following.wait(timeout=300) == 0, following.stderr.read()
        finally:
            successor.send_signal(signal.SIGTERM)
            successor.wait(timeout=30)
    finally:
        for process in (following, doomed):
            process.kill()
            process.wait()
    with sqlite3.connect(home / "yanpiao.sqlite3") as database:
        history = [row[0] for row in database.execute("SELECT public_id FROM verification_verification")]
        status, total, counted = database.execute(
            "SELECT status, total, processed FROM batches_batch"
        ).fetchone()
        retaken = database.execute("SELECT count(*) FROM batches_chunk WHERE attempts = 2").fetchone()[0]
    assert (status, total, counted) == ("done", 2000, 2000)
    lines = list(csv.DictReader(result.read_text(encoding="utf-8-sig").splitlines()))
    assert [int(line["row"]) for line in lines] == list(range(1, 2001))
    assert {line["outcome"] for line in lines} == {"authentic"}
    ids = [line["verification_id"].replace("-", "") for line in lines]
    assert len(history) == len(set(history)) == 2000  # one check per row, none twice
    assert sorted(ids) == sorted(history)
    assert retaken == claimed  # the chunks the killed worker held were taken over, once each
