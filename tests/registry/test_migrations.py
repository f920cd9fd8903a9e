"""Migration 0003 encrypts what earlier versions stored in clear, and the registry reads it back."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import lookup

BEFORE = ("registry", "0002_item_invoice_index_from_unique")
AFTER = ("registry", "0003_encrypted_parties_and_check_codes")


@pytest.mark.django_db(transaction=True)
def test_rows_stored_in_clear_are_encrypted_and_read_back():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Party, Invoice = old.get_model("registry", "Party"), old.get_model("registry", "Invoice")
    seller = Party.objects.create(
        fingerprint="s", name="北京京华数据科技有限公司", tax_id="91110108MA01ABCD2H"
    )
    buyer = Party.objects.create(fingerprint="b", name="张三", phone="13800138000")
    Invoice.objects.create(
        type="04", code="011002200111", number="12345678", issue_date=datetime.date(2026, 5, 4),
        check_code="48987406241857227858", seller=seller, buyer=buyer, amount=Decimal("100.00"),
        tax=Decimal("6.00"), total=Decimal("106.00"), drawer="王芳", payee="李强", content_hash="x",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    with connection.cursor() as cursor:
        cursor.execute("SELECT check_code, drawer FROM registry_invoice")
        stored = cursor.fetchone()
        cursor.execute("SELECT name, tax_id FROM registry_party ORDER BY id")
        parties = cursor.fetchall()
    assert "48987406241857227858" not in stored and "王芳" not in stored
    assert all("北京" not in name and "MA01" not in tax_id for name, tax_id in parties)
    invoice = lookup.find(InvoiceKey("011002200111", "12345678")).invoice
    assert (invoice.check_code, invoice.drawer, invoice.payee) == ("48987406241857227858", "王芳", "李强")
    assert invoice.seller.name == "北京京华数据科技有限公司" and invoice.seller.tax_id == "91110108MA01ABCD2H"
    assert (invoice.buyer.name, invoice.buyer.phone) == ("张三", "13800138000")
