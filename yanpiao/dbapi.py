"""Database helpers below the ORM: the driver's own cursor, for the few hot paths where Django's
wrapper costs more than the statement (the verification look-up, the history and audit
inserts, bulk import), and primary keys reserved before an insert (bulk writes, and rows
whose encrypted fields are bound to their id).

Django keeps the driver in autocommit mode outside ``atomic()``, and inside it the driver's
cursor takes part in the same transaction, so statements behave as through
``connection.cursor()``.  Placeholders are written ``%s`` and turned into SQLite's ``?``.
"""

import contextlib
import fcntl
import os
import threading

from django.db import connection


def cursor():
    connection.ensure_connection()
    return connection.connection.cursor()


def sql(statement: str) -> str:
    """``statement`` in the placeholder style of the database driver."""
    return statement.replace("%s", "?") if connection.vendor == "sqlite" else statement


def reserve_ids(model, count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``; call inside the transaction that uses them."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # nosec B608  # the table name is the model's _meta.db_table, no input
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


class _WriteTurn(threading.local):
    depth = 0


_turn = _WriteTurn()
_threads = threading.Lock()
_lock_files: dict[str, int] = {}  # database file -> this process's descriptor of its lock file


@contextlib.contextmanager
def serialized_writes():
    """On SQLite, take the turn to write before a hot write transaction (re-entrant).

    SQLite has one writer at a time; a writer that finds the database locked sleeps in growing
    steps (1, 2, 5 … 100 ms) before it looks again, and under load those sleeps are the slowest
    requests.  Here the writers of this process queue on a lock, and the processes on an
    ``flock`` of a file beside the database: each wakes as soon as the one before it is done.
    On PostgreSQL nothing is taken: its row locks queue writers already.
    """
    if connection.vendor != "sqlite" or _turn.depth:
        _turn.depth += 1
        try:
            yield
        finally:
            _turn.depth -= 1
        return
    with _threads:
        descriptor = _lock_file(str(connection.settings_dict["NAME"]))
        if descriptor is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        _turn.depth += 1
        try:
            yield
        finally:
            _turn.depth -= 1
            if descriptor is not None:
                fcntl.flock(descriptor, fcntl.LOCK_UN)


def _lock_file(database: str) -> int | None:
    """The descriptor of ``<database>.lock`` (None for an in-memory database: one process)."""
    if database == ":memory:" or database.startswith("file:"):
        return None
    descriptor = _lock_files.get(database)
    if descriptor is None:
        descriptor = _lock_files[database] = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    return descriptor
