"""Set-wise verification: every row gets what verify() would give it, in one transaction and one audit entry."""

import datetime
import hashlib
from decimal import Decimal

import pytest

from tests import factories
from yanpiao.batches.rows import InputRow
from yanpiao.fapiao import types
from yanpiao.fapiao.compare import OUTCOMES, Query
from yanpiao.fapiao.findings import ERROR, WARNING, Finding
from yanpiao.fapiao.invoice import Party, format_amount, to_json
from yanpiao.registry import services as registry
from yanpiao.security import audit, qr_signature, throttle
from yanpiao.security.models import AuditEntry, ThrottleWindow
from yanpiao.verification import bulk, services, throttling
from yanpiao.verification.bulk import verify_many
from yanpiao.verification.models import Verification
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db

HISTORY = ("channel", "submitted", "outcome", "differences", "findings", "invoice_id", "invoice_type")


def key(invoice, **fields) -> dict:
    """The typed fields of a row naming ``invoice``: code, number and date, then ``fields``."""
    return {
        "code": invoice.code,
        "number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        **fields,
    }


def row(fields, **read) -> InputRow:
    """A row of typed ``fields``; ``read``: what reading a document found (content, findings …)."""
    return InputRow(number=0, fields=fields, **read)


def asked(invoice) -> dict:
    """The amount field the platform asks for the invoice's type, right."""
    query = factories.key_query(invoice)
    return {name: getattr(query, name) for name in ("amount", "check_code", "total") if getattr(query, name)}


def rows_of_every_kind(register) -> list[InputRow]:
    """Rows of every type and outcome: each key amount field right and wrong, every status, input
    that is not well-formed, and rows read from documents (content, findings, a forged QR code)."""
    rows = []
    for type in types.NAMES:
        authentic = register(type=type)
        voided, abnormal, reversed, partly = (register(type=type) for _ in range(4))
        registry.void(voided.key, "test")
        registry.flag_abnormal(abnormal.key, "test")
        register(factories.red_letter(reversed))
        register(factories.red_letter(partly, Decimal("0.5")))
        for invoice in (authentic, voided, abnormal, reversed, partly, factories.invoice(type=type)):
            rows.append(row(key(invoice, **asked(invoice))))
        amount, total = format_amount(authentic.amount), format_amount(authentic.total)
        variants = [
            {"amount": amount},
            {"amount": str(authentic.amount.normalize())},  # 57 equals 57.00
            {"total": total},
            {"amount": amount, "total": total, "type": type},
            {"amount": "1.00"},
            {"total": "1.00"},
            {"amount": amount, "issue_date": "2025-03-08"},
            {"total": total, "type": "04" if type != "04" else "10"},
            {"total": "12.345"},  # not an amount
            {"total": total, "number": authentic.number[:-1]},  # too short
            {"total": total, "issue_date": "2999-01-01"},  # in the future
            {},  # no key amount field
            {"check_code": "000000"},
        ]
        if authentic.check_code:
            variants += [{"check_code": authentic.check_code}, {"check_code": authentic.check_code[-6:]}]
        rows += [row(key(authentic, **variant)) for variant in variants]
        rows.append(row({**key(authentic, **asked(authentic)), "number": " ".join(authentic.number)}))
    digital = register(type="32")
    forged = digital.replace(buyer=Party(name="别的公司", tax_id=digital.buyer.tax_id))
    voided = register(type="10")
    registry.void(voided.key, "test")
    document = {"format": "pdf", "sha256": "0" * 64}
    rows += [
        read_from(digital, document=document),
        read_from(forged, document=document),
        read_from(voided.replace(drawer="别人"), document=document),
        row(
            key(digital, **asked(digital)),
            document={**document, "signature": qr_signature.INVALID},
            signature=qr_signature.INVALID,
        ),
        row(
            key(digital, **asked(digital)),
            document=document,
            document_findings=(Finding("document.specimen", "document", ERROR, "a specimen (样票)"),),
        ),
        row(
            key(digital, **asked(digital)),
            document=document,
            document_findings=(
                Finding("consistency.ofd_data", "buyer.tax_id", WARNING, f"says {digital.buyer.tax_id!r}"),
            ),
        ),
    ]
    return rows


def read_from(invoice, **read) -> InputRow:
    """A row read from a document showing ``invoice``: its key fields, and all of it as content."""
    return row(Query.from_invoice(invoice).to_json(), content=to_json(invoice), **read)


def one_by_one(rows, actor) -> list:
    return [
        verify(
            Query.from_fields(content=r.content, **r.fields),
            actor,
            "batch",
            document_findings=r.document_findings,
            document=r.document,
            signature=r.signature,
        )
        for r in rows
    ]


def history(public_id) -> dict:
    return Verification.objects.filter(public_id=public_id).values(*HISTORY).get()


def test_every_row_gets_what_verify_gives_it_and_the_same_history_row(register, make_user, settings):
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 1000
    rows = rows_of_every_kind(register)
    results = verify_many(rows, make_user())
    expected = one_by_one(rows, make_user())
    assert {result.outcome for result in results} == set(OUTCOMES)
    for got, want in zip(results, expected, strict=True):
        assert (got.outcome, got.differences, got.findings) == (
            want.outcome,
            want.differences,
            tuple(want.findings),
        )
        assert history(got.verification_id) == history(want.verification_id)
        assert got.invoice_id == history(want.verification_id)["invoice_id"]
        assert got.duplicate_of is None


def test_the_history_keeps_the_submitted_check_code_and_quoted_personal_data_masked(register, make_user):
    invoice = register(type="10")
    quoting = Finding("consistency.ofd_data", "buyer.tax_id", WARNING, f"says {invoice.buyer.tax_id!r}")
    [result] = verify_many(
        [row(key(invoice, check_code=invoice.check_code), document_findings=(quoting,))], make_user()
    )
    stored = Verification.objects.get(public_id=result.verification_id)
    assert stored.submitted["check_code"] == "*" * 18 + invoice.check_code[-2:]
    assert invoice.buyer.tax_id not in str(stored.findings)
    assert result.findings == (quoting,)  # the verifier sees what the document says
    assert (stored.channel, stored.outcome, stored.invoice_type) == ("batch", "authentic", "10")


def test_rows_of_one_invoice_past_the_daily_limit_are_invalid_and_reveal_nothing(
    register, make_user, settings
):
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 2
    invoice, other = register(type="32"), register(type="32")
    rows = [
        row(key(invoice, total="1.00")),
        row(key(invoice, total="12.345")),  # not well-formed: no look-up, not counted
        row(key(other, **asked(other))),
        row(key(invoice, **asked(invoice))),
        row(key(invoice, total="1.00")),
        row(key(invoice, **asked(invoice))),
    ]
    results = verify_many(rows, make_user())
    assert [r.outcome for r in results] == [
        "mismatch",
        "invalid",
        "authentic",
        "authentic",
        "invalid",
        "invalid",
    ]
    for refused in results[4:]:
        assert refused.differences == () and refused.invoice_id is None
        assert refused.findings[-1].rule == "verification.invoice"
        assert "2" in refused.findings[-1].message
        assert Verification.objects.get(public_id=refused.verification_id).invoice is None


def test_the_daily_limit_counts_across_calls_and_with_verify(register, make_user, settings):
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 3
    invoice, user = register(type="01"), make_user()
    verify(factories.key_query(invoice), user, "web")
    assert [r.outcome for r in verify_many([row(key(invoice, **asked(invoice)))], user)] == ["authentic"]
    assert [r.outcome for r in verify_many([row(key(invoice, **asked(invoice)))] * 2, user)] == [
        "authentic",
        "invalid",
    ]
    with pytest.raises(throttling.TooManyChecks):
        verify(factories.key_query(invoice), user, "web")
    # another account, and the operator's command line (no account), have their own count or none
    assert verify_many([row(key(invoice, **asked(invoice)))], make_user())[0].outcome == "authentic"
    assert {r.outcome for r in verify_many([row(key(invoice, **asked(invoice)))] * 5, None)} == {"authentic"}


def test_counting_many_keys_takes_what_each_may_still_take_and_starts_again_in_a_new_window():
    limit = throttle.Limit("test.bulk", 3, datetime.timedelta(days=1))
    today = datetime.datetime(2026, 5, 4, 12, tzinfo=datetime.UTC)
    throttle.hit(limit, "a", now=today)
    assert throttle.hit_many(limit, {("a",): 5, ("b",): 2}, now=today) == {("a",): 2, ("b",): 2}
    assert throttle.hit_many(limit, {("a",): 1, ("b",): 2}, now=today) == {("a",): 0, ("b",): 1}
    assert sorted(ThrottleWindow.objects.values_list("count", flat=True)) == [3, 3]  # never past the limit
    with pytest.raises(throttle.Exceeded):
        throttle.hit(limit, "b", now=today)
    tomorrow = today + datetime.timedelta(days=1)
    assert throttle.hit_many(limit, {("a",): 4}, now=tomorrow) == {("a",): 3}
    assert throttle.hit_many(limit, {("a",): 1}, now=tomorrow) == {("a",): 0}


def test_one_audit_entry_vouches_for_exactly_the_rows_of_the_call(register, make_user):
    invoices = [register(type="32") for _ in range(3)]
    user = make_user()
    rows = [row(key(invoice, **asked(invoice))) for invoice in invoices] + [
        row(key(invoices[0], total="1.00"))
    ]
    head, _ = audit.head()
    results = verify_many(rows, user, batch="batch-7")
    entries = list(AuditEntry.objects.filter(id__gt=head))
    assert [(e.action, e.target, e.actor_id) for e in entries] == [
        ("verification.create_bulk", "verification.verification", user.pk)
    ]
    ids = [str(r.verification_id) for r in results]
    assert entries[0].detail == {
        "batch": "batch-7",
        "channel": "batch",
        "count": 4,
        "outcomes": {"authentic": 3, "mismatch": 1},
        "first": ids[0],
        "last": ids[-1],
        "sha256": hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest(),
    }
    stored = Verification.objects.order_by("id").values_list("public_id", flat=True)
    assert bulk.digest(list(stored)) == entries[0].detail["sha256"]


def test_a_call_that_fails_midway_leaves_no_trace(register, make_user, monkeypatch, settings):
    settings.YANPIAO_CHECKS_PER_INVOICE_PER_DAY = 1
    invoice, user = register(type="32"), make_user()
    inserted = services.insert_history

    def insert_then_fail(rows):
        inserted(rows)
        assert Verification.objects.count() == len(rows)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "insert_history", insert_then_fail)
    head, _ = audit.head()
    with pytest.raises(RuntimeError):
        verify_many([row(key(invoice, **asked(invoice)))] * 2, user)
    assert not Verification.objects.exists()
    assert audit.head()[0] == head
    monkeypatch.undo()
    assert verify_many([row(key(invoice, **asked(invoice)))], user)[0].outcome == "authentic"  # not counted


def test_nothing_to_verify_records_nothing(db):
    head, _ = audit.head()
    assert verify_many([], None) == []
    assert audit.head()[0] == head
