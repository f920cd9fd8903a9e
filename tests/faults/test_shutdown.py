"""Graceful shutdown: SIGTERM to ``yanpiao serve`` lets the request in hand finish and the server
exit 0; SIGTERM to ``yanpiao worker`` in the middle of a batch lets it finish the chunk in hand
and exit 0, and the rows are verified once each, none lost, none twice (SIGKILL, which gives no
such chance, is tests/batches/test_resume.py: the killed worker's chunk is taken over)."""

import csv
import json
import signal
import socket
import sqlite3
import time

import pytest

from tests.batches.test_commands import key_table, registry_home, start, wait_for
from tests.faults import servers
from tests.support.processes import HAS_PROC

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="signals processes")


def test_sigterm_lets_the_request_in_hand_finish_and_the_server_exit_0(tmp_path):
    process, port = servers.serve(tmp_path / "home")
    body = json.dumps(servers.CHECK).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
            client.sendall(
                b"POST /api/v1/verifications HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            client.sendall(body[:10])  # the request is in hand, its body still coming
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            client.sendall(body[10:])
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
        assert process.wait(timeout=20) == 0
    finally:
        servers.stop(process)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["outcome"] == "not_found"


def batch_state(home) -> tuple[int, int, int]:
    """(rows processed, chunks claimed, chunks retaken) of the one batch."""
    with sqlite3.connect(home / "yanpiao.sqlite3", timeout=30) as database:
        processed = database.execute("SELECT coalesce(max(processed), 0) FROM batches_batch").fetchone()[0]
        claimed, retaken = database.execute(
            "SELECT count(*) FILTER (WHERE status = 'claimed'), count(*) FILTER (WHERE attempts > 1)"
            " FROM batches_chunk"
        ).fetchone()
    return processed, claimed, retaken


def test_sigterm_lets_a_worker_finish_its_chunk_and_another_finishes_the_batch_once_per_row(tmp_path):
    home = tmp_path / "home"
    env, normal = registry_home(home, 200, YANPIAO_BATCH_CHUNK_ROWS="4", YANPIAO_BATCH_LEASE_SECONDS="600")
    rows = key_table(tmp_path / "rows.csv", (normal * 4)[:600])
    result = tmp_path / "result.csv"
    following = start(env, "batch", str(rows), "-o", str(result), "--workers", "0")
    stopped = start(env, "worker", "--worker-id", "stopped")
    try:
        wait_for(lambda: batch_state(home)[0] >= 100, "the worker to be in the middle of the batch")
        stopped.send_signal(signal.SIGTERM)
        assert stopped.wait(timeout=30) == 0, stopped.stderr.read()
        processed, claimed, _ = batch_state(home)
        assert 0 < processed < 600 and claimed == 0  # its chunk finished, nothing left held
        successor = start(env, "worker")  # the lease is long: only a finished chunk lets it go on at once
        try:
            assert following.wait(timeout=300) == 0, following.stderr.read()
        finally:
            successor.send_signal(signal.SIGTERM)
            successor.wait(timeout=30)
    finally:
        for process in (following, stopped):
            process.kill()
            process.wait()
    assert batch_state(home)[2] == 0  # no chunk was verified twice
    with sqlite3.connect(home / "yanpiao.sqlite3") as database:
        history = [row[0] for row in database.execute("SELECT public_id FROM verification_verification")]
    lines = list(csv.DictReader(result.read_text(encoding="utf-8-sig").splitlines()))
    assert [int(line["row"]) for line in lines] == list(range(1, 601))
    assert len(history) == len(set(history)) == 600  # one check per row, none twice
    assert sorted(line["verification_id"].replace("-", "") for line in lines) == sorted(history)
