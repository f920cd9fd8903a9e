"""Reads to a read replica when one is configured; writes, and every query of a transaction, to the primary.

``YANPIAO_REPLICA_URL`` (a PostgreSQL streaming replica of ``DATABASE_URL``) adds the ``replica``
alias to ``DATABASES`` (see :func:`replica_database`) and :class:`ReplicaRouter` sends each read
made outside a transaction there: lookups of the registry, history pages, exports.  A read inside
``transaction.atomic`` stays on the primary, so a service reads what it has just written and a
row it locks is the row it updates.  Migrations run on the primary only: the replica is a physical
copy of it.  Without a replica every query goes to ``default``, as before.

A replica lags the primary by a fraction of a second: a page read right after a write made
outside a transaction could miss it.  Every service writes inside a transaction
(:func:`yanpiao.dbapi.serialized_writes`) and answers from what it wrote, so none does.
"""

PRIMARY = "default"
REPLICA = "replica"


def replica_database(url: str, primary: dict) -> dict:
    """The ``replica`` entry of ``DATABASES`` for ``url``: the primary's settings with the replica's
    address, in read-only transactions (a write sent there by mistake fails instead of diverging),
    and a mirror of the primary in tests."""
    import dj_database_url

    try:
        parsed = dj_database_url.parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 60))
    except (ValueError, KeyError) as exc:
        raise ValueError(f"YANPIAO_REPLICA_URL is not a database URL: {exc}") from None
    if parsed["ENGINE"] != "django.db.backends.postgresql" or primary["ENGINE"] != parsed["ENGINE"]:
        raise ValueError("YANPIAO_REPLICA_URL must be a postgres:// URL, beside a PostgreSQL DATABASE_URL")
    options = dict(primary.get("OPTIONS", {}))
    options["options"] = (options.get("options", "") + " -c default_transaction_read_only=on").strip()
    return {**primary, **parsed, "OPTIONS": options, "TEST": {"MIRROR": PRIMARY}}


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads outside a transaction to ``replica`` when it is configured."""

    def db_for_read(self, model, **hints):
        from django.conf import settings
        from django.db import connections

        if REPLICA not in settings.DATABASES:
            return None
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # read what this transaction wrote or locked
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, first, second, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
