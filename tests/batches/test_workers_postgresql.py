"""Two ``yanpiao worker`` processes on PostgreSQL share one batch: both take chunks (the second
joins through the task the first queues), none takes a chunk the other holds, no row is verified
twice."""

import csv
import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.conf import settings

from tests.batches.test_commands import key_table, registry_home, start
from yanpiao.batches import tasks

DATABASE = settings.DATABASES["default"]
pytestmark = pytest.mark.skipif(
    DATABASE["ENGINE"] != "django.db.backends.postgresql", reason="needs DATABASE_URL pointing to PostgreSQL"
)
ROWS = 3000


@pytest.fixture
def database_url():
    """A database of the test's own, for the processes it starts."""
    name = f"yanpiao_batch_workers_{uuid.uuid4().hex[:8]}"
    server = [
        "-h",
        DATABASE["HOST"] or "127.0.0.1",
        "-p",
        str(DATABASE["PORT"] or 5432),
        "-U",
        DATABASE["USER"],
    ]
    subprocess.run([shutil.which("createdb") or "/usr/bin/createdb", *server, name], check=True)
    yield f"postgres://{DATABASE['USER']}@{server[1]}:{server[3]}/{name}"
    subprocess.run([shutil.which("dropdb") or "/usr/bin/dropdb", *server, "--force", name], check=False)


def test_two_workers_share_a_batch_and_no_row_is_verified_twice(tmp_path, database_url):
    home = tmp_path / "home"
    env, normal = registry_home(home, 1000, database_url, YANPIAO_BATCH_CHUNK_ROWS="10")
    rows = key_table(tmp_path / "rows.csv", (normal * 4)[:ROWS])
    result = tmp_path / "result.csv"
    following = start(env, "batch", str(rows), "-o", str(result), "--workers", "0")
    workers = [start(env, "worker", "--worker-id", name, "--interval", "0.2") for name in ("one", "two")]
    try:
        assert following.wait(timeout=300) == 0, following.stderr.read()
    finally:
        for process in (following, *workers):
            process.terminate()
            process.wait(timeout=30)
    with psycopg.connect(database_url) as database:
        history = [row[0] for row in database.execute("SELECT public_id FROM verification_verification")]
        done_by: dict[str, int] = {}
        for worker_ids, chunks_done in database.execute(
            "SELECT worker_ids, return_value FROM django_tasks_database_dbtaskresult"
            " WHERE status = 'SUCCESSFUL' AND task_path = %s",
            [tasks.process_batch.module_path],
        ):
            done_by[worker_ids[0]] = done_by.get(worker_ids[0], 0) + chunks_done
        status, processed = database.execute("SELECT status, processed FROM batches_batch").fetchone()
    assert (status, processed) == ("done", ROWS)
    assert set(done_by) == {"one", "two"} and all(done_by.values())
    assert sum(done_by.values()) == ROWS // 10
    lines = list(csv.DictReader(result.read_text(encoding="utf-8-sig").splitlines()))
    assert [int(line["row"]) for line in lines] == list(range(1, ROWS + 1))
    assert {line["outcome"] for line in lines} == {"authentic"}
    assert len(history) == len(set(history)) == ROWS
    assert sorted(line["verification_id"] for line in lines) == sorted(
        str(public_id) for public_id in history
    )
