"""Database helpers below the ORM: the driver's own cursor, for the few hot paths where Django's
wrapper costs more than the statement (the verification look-up, the history and audit
inserts, bulk import), and primary keys reserved before an insert (bulk writes, and rows
whose encrypted fields are bound to their id).

Django keeps the driver in autocommit mode outside ``atomic()``, and inside it the driver's
cursor takes part in the same transaction, so statements behave as through
``connection.cursor()``.  Placeholders are written ``%s`` and turned into SQLite's ``?``.
"""

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
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))
