"""What a viewer sees: personal data masked for staff, revealed on purpose with a reason (audited)."""

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao.access import disclosure
from yanpiao.access.masking import mask
from yanpiao.access.visibility import NotVisible
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role
from yanpiao.registry.models import Invoice, Party
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


def row_of(invoice) -> Invoice:
    return Invoice.objects.select_related("seller", "buyer").get(code=invoice.code, number=invoice.number)


# --- verifications -----------------------------------------------------------------------------


def test_the_actor_sees_the_values_that_differ_and_staff_only_the_fields(make_user, register):
    actor = make_user()
    verification = verify(key_query(register(), total="1.00"), actor=actor).verification_id
    row = actor.verification_set.get(public_id=verification)
    mine = disclosure.verification_view(actor, row)
    assert mine.differences == [{"field": "total", "submitted": "1.00", "registered": None}]
    theirs = disclosure.verification_view(make_user(Role.AUDITOR), row)
    assert theirs.differences == [{"field": "total", "submitted": "***", "registered": "***"}]


def test_the_registered_invoice_is_linked_only_after_the_key_fields_matched(make_user, register):
    actor = make_user()
    invoice = register()
    authentic = verify(key_query(invoice), actor=actor).verification_id
    mismatch = verify(key_query(invoice, total="1.00"), actor=actor).verification_id
    views = {
        public_id: disclosure.verification_view(actor, actor.verification_set.get(public_id=public_id))
        for public_id in (authentic, mismatch)
    }
    assert views[authentic].invoice.number == invoice.number
    assert views[mismatch].invoice is None


def test_another_user_is_shown_masked_and_oneself_in_full(make_user):
    viewer = make_user(email="wangwu@example.com")
    other = make_user(email="zhangsan@example.com", display_name="")
    assert disclosure.user_label(viewer, viewer) == "wangwu@example.com"
    assert disclosure.user_label(viewer, other) == "z***@example.com"
    assert disclosure.user_label(viewer, None) == "—"


# --- registered invoices -----------------------------------------------------------------------


def test_staff_see_the_parties_masked_and_may_reveal(make_user, register):
    invoice = register()
    view = disclosure.invoice_view(make_user(Role.AUDITOR), row_of(invoice))
    fields = dict(view.seller.fields)
    assert fields["tax_id"] == mask(invoice.seller.tax_id, "tax_id")
    assert fields["name"] == mask(invoice.seller.name, "name")
    assert view.can_reveal and view.seller.target.startswith("registry.party:")


def test_those_who_see_an_invoice_through_their_business_see_it_in_full(make_user, register):
    invoice = register()
    verifier = make_user()
    verify(key_query(invoice), actor=verifier)
    view = disclosure.invoice_view(verifier, row_of(invoice))
    assert dict(view.seller.fields)["tax_id"] == invoice.seller.tax_id
    assert not view.can_reveal


# --- organisations -----------------------------------------------------------------------------


def test_members_see_their_organisation_in_full_and_each_other_masked(make_user):
    company = organisations.create_organisation("示例公司", factories.tax_id(21))
    member = make_user(organisation=company, email="zhao@example.com")
    colleague = make_user(organisation=company, email="qian@example.com", phone="13800138000")
    view = disclosure.organisation_view(member, company)
    assert (view.name, view.tax_id) == ("示例公司", factories.tax_id(21))
    shown = {m.target: m for m in view.members}
    assert shown[f"accounts.user:{member.pk}"].email == "zhao@example.com"
    assert shown[f"accounts.user:{colleague.pk}"].phone == "138****8000"
    assert not view.can_reveal
    staff = disclosure.organisation_view(make_user(Role.ADMIN), company)
    assert (staff.name, staff.can_reveal) == ("示***", True)


# --- revealing personal data -------------------------------------------------------------------


def test_an_auditor_reveals_with_a_reason_and_it_is_audited(make_user, audit_events):
    member = make_user(email="zhangsan@example.com", phone="13800138000")
    auditor = make_user(Role.AUDITOR)
    target = f"accounts.user:{member.pk}"
    assert disclosure.masked(member, "phone") == "138****8000"
    assert disclosure.reveal(auditor, target, "phone", "客户投诉核实") == "13800138000"
    assert audit_events[-1]["action"] == "access.reveal"
    assert audit_events[-1]["actor"] == auditor
    assert audit_events[-1]["target"] == target
    assert audit_events[-1]["detail"] == {"field": "phone", "reason": "客户投诉核实"}
    with pytest.raises(ValueError, match="reason"):
        disclosure.reveal(auditor, target, "email", "  ")
    with pytest.raises(ValueError):
        disclosure.reveal(auditor, target, "password", "核实")
    assert len([e for e in audit_events if e["action"] == "access.reveal"]) == 1


def test_a_registry_party_is_revealed_field_by_field_as_the_invoice_declares(make_user, register):
    invoice = register()
    party = Party.objects.get(pk=row_of(invoice).seller_id)
    admin = make_user(Role.ADMIN)
    assert disclosure.reveal(admin, f"registry.party:{party.pk}", "account", "核实") == invoice.seller.account
    assert set(disclosure.REVEALABLE[Party]) == {"name", "tax_id", "address", "phone", "bank", "account"}


def test_only_staff_reveal_and_only_records_that_exist(make_user):
    member = make_user(email="lisi@example.com")
    target = f"accounts.user:{member.pk}"
    for viewer, where in ((make_user(), target), (make_user(Role.ADMIN), "accounts.user:999999")):
        with pytest.raises(NotVisible):
            disclosure.reveal(viewer, where, "email", "好奇")
    for unknown in ("registry.invoice:1", "auth.permission:1", "nonsense"):
        with pytest.raises(NotVisible):
            disclosure.reveal(make_user(Role.ADMIN), unknown, "email", "核实")
