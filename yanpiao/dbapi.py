"""The database driver's own cursor, for the few hot paths where Django's wrapper costs more
than the statement: the verification look-up, the history and audit inserts, bulk import.

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
