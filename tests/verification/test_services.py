"""The verification service: every outcome, for 数电票 (total), 专票 (amount) and 普票 (check code)."""

import datetime
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao.access.masking import mask
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services as registry
from yanpiao.verification.models import Verification
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

# 数电普票 verified by total, 专票 by amount, 普票 (electronic) by the check code.
TYPES = ["32", "01", "10"]


@pytest.mark.parametrize("type", TYPES)
def test_authentic_reveals_the_registered_invoice_and_is_recorded(register, type):
    invoice = register(type=type)
    result = verify(key_query(invoice), channel="cli")
    assert result.outcome == "authentic"
    assert result.invoice == invoice
    record = Verification.objects.get(public_id=result.verification_id)
    assert record.outcome == "authentic"
    assert record.channel == "cli"
    assert record.invoice.number == invoice.number
    assert record.submitted["number"] == invoice.number


@pytest.mark.parametrize("type", TYPES)
def test_mismatch_names_the_key_field_and_reveals_nothing(register, type):
    invoice = register(type=type)
    wrong = {"32": {"total": "1.00"}, "01": {"amount": "1.00"}, "10": {"check_code": "000000"}}[type]
    result = verify(key_query(invoice, **wrong))
    assert result.outcome == "mismatch"
    assert [d.field for d in result.differences] == list(wrong)
    assert all(d.registered is None for d in result.differences)
    assert result.invoice is None
    assert result.to_json()["invoice"] is None


def test_mismatch_on_the_date(register):
    invoice = register(type="32")
    result = verify(key_query(invoice, issue_date="2025-03-08"))
    assert (result.outcome, [d.field for d in result.differences]) == ("mismatch", ["issue_date"])


@pytest.mark.parametrize("type", TYPES)
def test_not_found_reveals_nothing(register, type):
    invoice = factories.invoice(type=type)  # never registered
    result = verify(key_query(invoice))
    assert result.outcome == "not_found"
    assert result.invoice is None and result.differences == ()
    assert Verification.objects.get(public_id=result.verification_id).invoice is None


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize(
    ("change", "outcome"), [(registry.void, "voided"), (registry.flag_abnormal, "abnormal")]
)
def test_status_outcomes(register, type, change, outcome):
    invoice = register(type=type)
    change(invoice.key, "test")
    result = verify(key_query(invoice))
    assert result.outcome == outcome
    assert result.invoice.status == outcome
    assert [c["status"] for c in result.status_history] == [outcome]


@pytest.mark.parametrize("type", TYPES)
@pytest.mark.parametrize(
    ("share", "status"), [(Decimal(1), "red_flushed"), (Decimal("0.5"), "partially_red_flushed")]
)
def test_red_flushed(register, type, share, status):
    original = register(type=type)
    register(factories.red_letter(original, share))
    result = verify(key_query(original))
    assert result.outcome == "red_flushed"
    assert result.invoice.status == status


@pytest.mark.parametrize("type", TYPES)
def test_invalid_input_is_recorded_with_findings(register, type):
    invoice = register(type=type)
    result = verify(key_query(invoice, number="1234567"))
    assert result.outcome == "invalid"
    assert any(f.field == "number" and f.severity == "error" for f in result.findings)
    assert result.invoice is None
    assert Verification.objects.get(public_id=result.verification_id).outcome == "invalid"


def test_future_date_is_invalid(register):
    invoice = register(type="32")
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    assert verify(key_query(invoice, issue_date=tomorrow.isoformat())).outcome == "invalid"


def test_input_is_normalised_before_matching(register):
    invoice = register(type="10")
    full_width = invoice.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    query = Query.from_fields(
        code=" ".join(invoice.code),
        number=full_width,
        issue_date=invoice.issue_date.strftime("%Y%m%d"),
        check_code=invoice.check_code,  # all 20 digits
    )
    assert verify(query).outcome == "authentic"


def test_amounts_compare_as_decimals(register):
    items = (factories.item("57.00", "0"),)
    invoice = register(type="01", items=items)
    assert verify(key_query(invoice, amount="57")).outcome == "authentic"


def test_every_supplied_key_field_must_match(register):
    invoice = register(type="10")
    query = key_query(invoice, total=str(invoice.total), amount="1.00")
    result = verify(query)
    assert result.outcome == "mismatch"
    assert [d.field for d in result.differences] == ["amount"]


def test_tampered_content_lists_registered_and_submitted_values(register):
    invoice = register(type="32")
    forged = invoice.replace(buyer=invoice.buyer.__class__(name="别的公司", tax_id=invoice.buyer.tax_id))
    result = verify(Query.from_invoice(forged), channel="upload")
    assert result.outcome == "tampered"
    assert [(d.field, d.submitted, d.registered) for d in result.differences] == [
        ("buyer.name", "别的公司", invoice.buyer.name)
    ]


def test_the_history_keeps_names_and_check_codes_masked(register):
    invoice = register(type="32")
    forged = invoice.replace(buyer=invoice.buyer.__class__(name="别的公司", tax_id=invoice.buyer.tax_id))
    result = verify(Query.from_invoice(forged), channel="upload")
    stored = Verification.objects.get(public_id=result.verification_id)
    [difference] = stored.differences
    assert difference == {
        "field": "buyer.name",
        "submitted": "别***",
        "registered": mask(invoice.buyer.name, "name"),
    }
    assert invoice.buyer.name not in str(stored.differences)

    plain = register(type="04")
    result = verify(key_query(plain, check_code=plain.check_code[-6:]), channel="web")
    stored = Verification.objects.get(public_id=result.verification_id)
    assert result.submitted["check_code"] == plain.check_code[-6:]  # the verifier sees what they typed
    assert stored.submitted["check_code"] == "****" + plain.check_code[-2:]


def test_anonymous_actor_is_recorded_as_none(register, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    invoice = register(type="32")
    user = django_user_model.objects.create_user(email="a@example.com", password="x" * 12)
    assert (
        Verification.objects.get(
            public_id=verify(key_query(invoice), actor=AnonymousUser()).verification_id
        ).actor
        is None
    )
    assert (
        Verification.objects.get(public_id=verify(key_query(invoice), actor=user).verification_id).actor
        == user
    )
    assert registry.find_row(InvoiceKey(invoice.code, invoice.number)).verifications.count() == 2


def test_the_history_keeps_no_personal_data_that_a_finding_quotes(register):
    from yanpiao.fapiao.findings import WARNING, Finding

    invoice = register(type="32")
    quoting = Finding(
        "consistency.ofd_data",
        "buyer.tax_id",
        WARNING,
        f"buyer.tax_id: the tags say {invoice.buyer.tax_id!r}, but OFD.xml says '91110000600037341L'",
    )
    result = verify(key_query(invoice), channel="upload", document_findings=[quoting])
    assert result.findings[0].message == quoting.message  # the verifier sees what the document says
    stored = Verification.objects.get(public_id=result.verification_id)
    assert (
        stored.findings[0]["rule"] == "consistency.ofd_data" and stored.findings[0]["field"] == "buyer.tax_id"
    )
    assert invoice.buyer.tax_id not in str(stored.findings) and "91110000600037341L" not in str(
        stored.findings
    )


def test_a_qr_code_with_an_altered_amount_is_caught_by_the_registry(register):
    from yanpiao.fapiao import qr
    from yanpiao.verification.services import verify_document

    invoice = register(type="32")
    genuine = qr.build("32", "", invoice.number, invoice.total, invoice.issue_date)
    altered = genuine.replace(f",{invoice.total},", ",1.00,")
    [result] = verify_document(altered.encode()).results
    assert result.outcome == "mismatch" and [d.field for d in result.differences] == ["total"]
    assert ("qr.crc", "warning") in [(f.rule, f.severity) for f in result.findings]
    [result] = verify_document(genuine.encode()).results
    assert result.outcome == "authentic" and not result.findings
