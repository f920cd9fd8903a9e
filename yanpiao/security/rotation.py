"""Key rotation: a new primary key for a keyset, then every encrypted value re-encrypted under it.

Re-encryption walks each table with encrypted columns in id order, a batch per transaction,
so the site keeps running meanwhile: old ciphertexts decrypt throughout, because the old keys
stay in the keyset.  A value already under the primary key is skipped, so an interrupted run
simply continues where it stopped.  The ``index`` keyset is not rotated this way: blind
indexes would have to be recomputed, and look-ups would miss until then.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from yanpiao.security import fields, keys

ROTATABLE = ("fields", "backup", "qr")  # qr: old QR signatures still check (key id prefix)
BATCH = 2000


@dataclass(frozen=True)
class EncryptedColumns:
    table: str
    columns: tuple[str, ...]


def encrypted_columns() -> list[EncryptedColumns]:
    """Every table with encrypted fields, found from the models."""
    found = []
    for model in apps.get_models():
        columns = tuple(
            f.column for f in model._meta.concrete_fields if isinstance(f, fields.EncryptedTextField)
        )
        if columns:
            found.append(EncryptedColumns(model._meta.db_table, columns))
    return sorted(found, key=lambda c: c.table)


def _key_id(token: str) -> int | None:
    """The Tink key id in a stored ciphertext (its 5-byte prefix: version byte, 4-byte id)."""
    raw = base64.b64decode(token[:8])
    return int.from_bytes(raw[1:5], "big") if len(raw) >= 5 else None


def rotate(name: str = "fields") -> int:
    if name not in ROTATABLE:
        raise ValueError(f"the {name!r} keyset cannot be rotated here (rotatable: {', '.join(ROTATABLE)})")
    keys.keyset(name)  # created on first use: a keyset never used yet gets its first key, then the new one
    return keys.rotate(name)


@dataclass
class Progress:
    table: str
    rows: int = 0
    values: int = 0


def stale_values() -> int:
    """How many stored values are not under the primary key of the ``fields`` keyset."""
    primary, _ = keys.key_ids("fields")
    stale = 0
    with connection.cursor() as cursor:
        for group in encrypted_columns():
            cursor.execute(f"SELECT {', '.join(group.columns)} FROM {group.table}")  # nosec B608  # tables and columns of the encrypted fields, from the models; values are parameters
            for row in cursor.fetchall():
                stale += sum(1 for value in row if value and _key_id(value) != primary)
    return stale


def reencrypt(
    batch: int = BATCH, on_batch: Callable[[Progress], None] | None = None, max_batches: int | None = None
) -> list[Progress]:
    """Re-encrypt every value that is not under the primary key; ``max_batches`` stops early."""
    primary, _ = keys.key_ids("fields")
    done, batches = [], 0
    for group in encrypted_columns():
        progress = Progress(group.table)
        last = 0
        select = (
            f"SELECT id, {', '.join(group.columns)} FROM {group.table} WHERE id > %s ORDER BY id LIMIT %s"  # nosec B608  # tables and columns of the encrypted fields, from the models; values are parameters
        )
        update = f"UPDATE {group.table} SET {', '.join(f'{c} = %s' for c in group.columns)} WHERE id = %s"  # nosec B608  # tables and columns of the encrypted fields, from the models; values are parameters
        while max_batches is None or batches < max_batches:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last, batch])
                rows = cursor.fetchall()
                if not rows:
                    break
                updates = []
                for pk, *values in rows:
                    if all(not v or _key_id(v) == primary for v in values):
                        continue
                    plain = [
                        fields.decrypt(v, group.table, c, pk)
                        for c, v in zip(group.columns, values, strict=True)
                    ]
                    updates.append(
                        (
                            *(
                                fields.encrypt(v, group.table, c, pk)
                                for c, v in zip(group.columns, plain, strict=True)
                            ),
                            pk,
                        )
                    )
                    progress.values += sum(1 for v in values if v)
                if updates:
                    cursor.executemany(update, updates)
                progress.rows += len(updates)
                last = rows[-1][0]
            batches += 1
            if on_batch:
                on_batch(progress)
        done.append(progress)
    return done
