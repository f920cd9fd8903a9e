"""The driver-level helpers: the write turn of hot SQLite writers."""

import os
import stat
import threading

import pytest
from django.db import connection

from yanpiao import dbapi


def test_an_in_memory_database_needs_no_lock_file():
    assert dbapi._lock_file(":memory:") is None
    assert dbapi._lock_file("file:memorydb_default?mode=memory&cache=shared") is None


def test_the_lock_file_sits_beside_the_database_readable_by_its_owner_only(tmp_path):
    database = tmp_path / "yanpiao.sqlite3"
    descriptor = dbapi._lock_file(str(database))
    assert descriptor is not None and descriptor == dbapi._lock_file(str(database))
    assert stat.S_IMODE(os.stat(tmp_path / "yanpiao.sqlite3.lock").st_mode) == 0o600


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL queues writers by its own locks")
def test_the_turn_is_reentrant_and_taken_by_one_thread_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "yanpiao.sqlite3"))
    inside, most = 0, 0
    guard = threading.Lock()

    def write():
        nonlocal inside, most
        with dbapi.serialized_writes(), dbapi.serialized_writes():  # nested: no deadlock
            with guard:
                inside += 1
                most = max(most, inside)
            threading.Event().wait(0.01)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most == 1
