"""Key rotation: values written under the old key read back before, during and after re-encryption."""

import pytest
from django.core.management import call_command

from tests import factories
from yanpiao.accounts.models import User
from yanpiao.registry import services as registry
from yanpiao.registry.models import Party
from yanpiao.security import keys, rotation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_keys(settings, tmp_path):
    """Rotate keysets of a home of the test's own, not those of the whole test run."""
    settings.HOME = tmp_path
    keys.forget()
    yield
    keys.forget()


def read_back(invoices, users):
    """Everything as the application reads it: through the verification look-up and the ORM."""
    for invoice in invoices:
        assert registry.get_invoice(invoice.key) == invoice
    assert [(u.email, u.phone) for u in User.objects.order_by("pk")] == [(u.email, u.phone) for u in users]
    assert {p.tax_id for p in Party.objects.all()} >= {i.seller.tax_id for i in invoices}


def test_rows_read_back_before_during_and_after_reencryption():
    invoices = []
    for type_code in ("04", "32", "10", "01", "04", "10"):
        invoice = factories.invoice(type=type_code)
        registry.register(invoice)
        invoices.append(invoice)
    users = [
        User.objects.create_user("li.si@example.cn", "a long passphrase"),
        User.objects.create_user(None, "a long passphrase", phone="13800138000"),
    ]
    old_primary, _ = keys.key_ids("fields")
    read_back(invoices, users)

    new_primary = rotation.rotate("fields")
    assert new_primary != old_primary
    assert keys.key_ids("fields") == (new_primary, [old_primary, new_primary])
    assert rotation.stale_values() > 0
    read_back(invoices, users)  # nothing re-encrypted yet: the old key still decrypts

    rotation.reencrypt(batch=2, max_batches=2)
    assert rotation.stale_values() > 0
    read_back(invoices, users)  # half-way

    rotation.reencrypt(batch=2)
    assert rotation.stale_values() == 0
    read_back(invoices, users)
    # new writes use the new key and the next rotation starts from there
    registry.register(extra := factories.invoice(type="32"))
    read_back([*invoices, extra], users)


def test_the_command_rotates_and_reencrypts(capsys):
    invoice = factories.invoice(type="04")
    registry.register(invoice)
    call_command("keys", "rotate")
    out = capsys.readouterr().out
    assert "new primary key" in out and "re-encrypted" in out
    assert len(out.splitlines()) == len(set(out.splitlines()))  # no line said twice
    call_command("keys", "reencrypt")
    assert (
        capsys.readouterr().out.strip()
        == "nothing to re-encrypt: every stored value is under the primary key"
    )
    assert rotation.stale_values() == 0
    assert registry.get_invoice(invoice.key) == invoice


def test_the_index_keyset_is_not_rotated_by_the_command():
    with pytest.raises(ValueError, match="cannot be rotated"):
        rotation.rotate("index")
