"""Encrypted fields: AEAD per value, bound to its table, column and row; blind indexes for look-ups.

A value is encrypted with the ``fields`` keyset (AES-256-GCM) and the associated data
``table.column.row_id``, so a ciphertext copied to another row or column does not decrypt.
Exact-match look-ups (log-in by e-mail or phone, search by tax ID) go through a blind index:
an HMAC of the normalised value under the ``index`` keyset, which reveals only equality.

In models, :class:`EncryptedTextField` stores the ciphertext and the attribute holds the
plaintext (decrypted on first access); models with such fields derive from
:class:`EncryptedModel`, which reserves the row id before inserting so that the ciphertext
can be bound to it.  Empty values stay empty.

>>> ciphertext = encrypt("91110108MA01ABCD2H", "registry_party", "tax_id", 7)  # doctest: +SKIP
>>> decrypt(ciphertext, "registry_party", "tax_id", 7)  # doctest: +SKIP
'91110108MA01ABCD2H'
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence

import tink
from django.db import models, transaction
from django.db.models.query_utils import DeferredAttribute

from yanpiao import dbapi
from yanpiao.security import keys

INDEX_BYTES = 16


class DecryptionError(Exception):
    """A stored value does not decrypt: a wrong key, or a value moved or altered in the database."""


def associated_data(table: str, column: str, row_id: int) -> bytes:
    return f"{table}.{column}.{row_id}".encode()


def encrypt(value: str, table: str, column: str, row_id: int) -> str:
    if not value:
        return ""
    ciphertext = keys.fields_aead().encrypt(value.encode(), associated_data(table, column, row_id))
    return base64.b64encode(ciphertext).decode()


def decrypt(token: str, table: str, column: str, row_id: int) -> str:
    if not token:
        return ""
    try:
        plaintext = keys.fields_aead().decrypt(
            base64.b64decode(token), associated_data(table, column, row_id)
        )
    except (tink.TinkError, ValueError) as exc:
        raise DecryptionError(f"{table}.{column} of row {row_id} does not decrypt") from exc
    return plaintext.decode()


def decrypt_columns(tokens: Sequence[str], table: str, columns: Sequence[str], row_id: int) -> list[str]:
    """:func:`decrypt` of several columns of one row (``tokens[i]`` of ``columns[i]``), the keyset
    looked up once and the base64 read without b64decode's argument checks: a registered invoice's
    parties are read a dozen values at a time."""
    aead = None
    plain = []
    for token, column in zip(tokens, columns, strict=True):
        if not token:
            plain.append("")
            continue
        aead = aead or keys.fields_aead()
        try:
            plain.append(
                aead.decrypt(binascii.a2b_base64(token), associated_data(table, column, row_id)).decode()
            )
        except (tink.TinkError, ValueError) as exc:
            raise DecryptionError(f"{table}.{column} of row {row_id} does not decrypt") from exc
    return plain


def blind_index(value: str, purpose: str) -> str:
    """A keyed, deterministic digest of ``value`` for exact look-ups; "" for an empty value."""
    if not value:
        return ""
    return keys.index_prf().compute(f"{purpose}\0{value}".encode(), INDEX_BYTES).hex()


def tax_id_index(tax_id: str) -> str:
    """The blind index of a 纳税人识别号, shared by registry parties and organisations."""
    return blind_index((tax_id or "").strip().upper(), "tax id")


def keyed_digest(data: bytes, purpose: str) -> str:
    """A keyed sha256 of longer data (party fingerprints, one-time code digests): equality without a
    dictionary attack."""
    return hmac.digest(keys.derived_key(purpose), data, "sha256").hex()


class Ciphertext(str):
    """A value as stored, not yet decrypted."""


class EncryptedAttribute(DeferredAttribute):
    """The plaintext of an encrypted field, decrypted on first access with the row's id."""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if instance is not None and isinstance(value, Ciphertext):
            field = self.field
            value = decrypt(value, field.model._meta.db_table, field.column, instance.pk)
            instance.__dict__[field.attname] = value
        return value

    def __set__(self, instance, value):
        # A data descriptor, so that reads come through __get__ even once the value is loaded.
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text stored encrypted; see the module's docstring."""

    descriptor_class = EncryptedAttribute

    def from_db_value(self, value, expression, connection):
        return None if value is None else Ciphertext(value)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname) or ""
        if model_instance.pk is None:
            raise ValueError(f"{self.model.__name__} needs its id before {self.name} can be encrypted")
        return encrypt(value, self.model._meta.db_table, self.column, model_instance.pk)


class EncryptedModel(models.Model):
    """A model with encrypted fields: its id is reserved before the insert, to bind the ciphertexts."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            [self.pk] = dbapi.reserve_ids(type(self), 1)
            kwargs["force_insert"] = True
            return super().save(*args, **kwargs)
