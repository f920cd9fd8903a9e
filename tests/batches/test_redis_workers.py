"""With ``YANPIAO_REDIS_URL`` set, a batch's tasks go through Redis (django-tasks' RQ backend) and
``yanpiao worker`` runs them as an RQ worker: every row is verified once, the batch ends done."""

import csv
import sqlite3
import subprocess
import sys

import pytest
import redis

from tests.batches.test_commands import key_table, registry_home, yanpiao

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of the tests' own, flushed before and after
ROWS = 60


def redis_answers() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="needs a Redis server at 127.0.0.1:6379")


@pytest.fixture
def server():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def django(env: dict, code: str) -> str:
    """Run ``code`` in a process of its own, with Django set up; what it printed."""
    setup = "import django; django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", setup + code],
        env={**env, "DJANGO_SETTINGS_MODULE": "yanpiao.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_rq_worker_verifies_every_row_of_a_batch_once(tmp_path, server):
    home = tmp_path / "home"
    env, normal = registry_home(home, 40, YANPIAO_REDIS_URL=REDIS_URL, YANPIAO_BATCH_CHUNK_ROWS="7")
    rows = key_table(tmp_path / "rows.csv", (normal * 2)[:ROWS])
    django(env, f"from yanpiao.batches import services\nservices.create(None, {str(rows)!r})")
    assert server.llen("rq:queue:batches") == 1  # the batch's task waits in Redis, not in the database

    worker = yanpiao(env, "worker", "--once")  # RQ's burst mode: the tasks waiting now, then exit
    assert worker.returncode == 0, worker.stderr

    result = tmp_path / "result.csv"
    django(
        env,
        "from yanpiao.batches import results\nfrom yanpiao.batches.models import Batch\n"
        f"with open({str(result)!r}, 'wb') as stream:\n    results.write_csv(Batch.objects.get(), stream)",
    )
    with sqlite3.connect(home / "yanpiao.sqlite3") as database:
        history = [row[0] for row in database.execute("SELECT public_id FROM verification_verification")]
        status, total, processed = database.execute(
            "SELECT status, total, processed FROM batches_batch"
        ).fetchone()
        tasks_in_database = database.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult"
        ).fetchone()[0]
    assert (status, total, processed) == ("done", ROWS, ROWS)
    assert tasks_in_database == 0 and server.llen("rq:queue:batches") == 0
    lines = list(csv.DictReader(result.read_text(encoding="utf-8-sig").splitlines()))
    assert [int(line["row"]) for line in lines] == list(range(1, ROWS + 1))
    assert {line["outcome"] for line in lines} == {"authentic"}
    assert len(history) == len(set(history)) == ROWS  # one check per row, none twice
    assert sorted(line["verification_id"].replace("-", "") for line in lines) == sorted(history)
