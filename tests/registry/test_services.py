"""Registry services: issuing, red-letter invoices, voiding and flagging."""

import datetime
from decimal import Decimal

import pytest

from tests import factories
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services
from yanpiao.registry.models import Invoice, StatusChange
from yanpiao.security.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_register_stores_the_invoice_exactly(register):
    invoice = register(type="10")
    assert services.get_invoice(invoice.key) == invoice


def test_register_refuses_an_invalid_invoice():
    bad = factories.invoice(type="32", tax=Decimal("999.00"))
    with pytest.raises(services.RegistryError) as error:
        services.register(bad)
    assert "tax" in str(error.value)
    assert Invoice.objects.count() == 0


def test_register_refuses_a_duplicate(register):
    invoice = register(type="32")
    with pytest.raises(services.RegistryError, match="already registered"):
        services.register(invoice)


def test_red_letter_needs_an_existing_original():
    original = factories.invoice(type="32")
    with pytest.raises(services.RegistryError, match="not in the registry"):
        services.register(factories.red_letter(original))


def test_red_letter_moves_the_original_step_by_step(register):
    original = register(type="32")
    register(factories.red_letter(original, Decimal("0.5")))
    assert services.find_row(original.key).status == "partially_red_flushed"
    register(factories.red_letter(original, Decimal("0.5")))
    row = services.find_row(original.key)
    assert row.status == "red_flushed"
    assert list(row.status_changes.values_list("status", flat=True)) == [
        "partially_red_flushed",
        "red_flushed",
    ]


def test_red_letter_cannot_reverse_more_than_the_original(register):
    original = register(type="32")
    register(factories.red_letter(original))
    with pytest.raises(services.RegistryError, match="remaining"):
        services.register(factories.red_letter(original))


def test_voided_invoice_cannot_be_reversed_or_voided_again(register):
    original = register(type="01")
    services.void(original.key, "开错了")
    with pytest.raises(services.RegistryError, match="voided"):
        services.register(factories.red_letter(original))
    again = services.void(original.key)  # already voided: nothing changes, and no second audit entry
    assert not again.changed and again.invoice.status == "voided"
    assert StatusChange.objects.filter(invoice__number=original.number).count() == 1
    assert (
        AuditEntry.objects.filter(
            action="registry.void", target=f"registry.invoice:{again.invoice.pk}"
        ).count()
        == 1
    )
    with pytest.raises(services.RegistryError, match="cannot become abnormal"):
        services.flag_abnormal(original.key)


def test_void_of_an_unknown_invoice_is_refused():
    with pytest.raises(services.RegistryError, match="no invoice"):
        services.void(InvoiceKey("", "26112000000000000001"))


def test_void_without_the_code_names_the_codes_that_have_the_number(register):
    invoice = register(type="04")
    with pytest.raises(services.RegistryError) as refused:
        services.void(InvoiceKey("", invoice.number))
    assert f"have the 发票代码 {invoice.code}" in str(refused.value)
    assert services.void(InvoiceKey(invoice.code, invoice.number)).changed


def test_future_invoice_is_refused():
    later = datetime.date.today() + datetime.timedelta(days=3)
    with pytest.raises(services.RegistryError, match="future"):
        services.register(factories.invoice(type="32", issue_date=later))
