"""The pages of one record: what each viewer is shown, by the access layer's decisions."""

import pytest

from tests.factories import key_query
from yanpiao.accounts.models import Role
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


def test_the_reveal_page_shows_the_value_to_staff_and_is_404_to_others(login, make_user):
    member = make_user(email="lisi@example.com")
    data = {"target": f"accounts.user:{member.pk}", "field": "email", "reason": "核实身份"}
    page = login(make_user(Role.ADMIN)).post("/security/reveal/", data)
    assert page.status_code == 200 and "lisi@example.com" in page.content.decode()
    assert login(make_user()).post("/security/reveal/", data).status_code == 404


def test_a_reveal_without_a_reason_or_of_a_missing_record_is_refused(login, make_user):
    admin = login(make_user(Role.ADMIN))
    member = make_user(email="lisi@example.com")
    no_reason = {"target": f"accounts.user:{member.pk}", "field": "email", "reason": ""}
    assert admin.post("/security/reveal/", no_reason).status_code == 400
    missing = {"target": "accounts.user:999999", "field": "email", "reason": "核实"}
    assert admin.post("/security/reveal/", missing).status_code == 404


def test_a_verification_page_links_the_invoice_only_after_a_match(login, make_user, register):
    actor = make_user()
    invoice = register(type="32")
    client = login(actor)
    authentic = verify(key_query(invoice), actor=actor).verification_id
    mismatch = verify(key_query(invoice, total="1.00"), actor=actor).verification_id
    assert (
        f'href="/invoices/-/{invoice.number}/"' in client.get(f"/verifications/{authentic}/").content.decode()
    )
    page = client.get(f"/verifications/{mismatch}/").content.decode()
    assert 'id="invoice-link"' not in page and 'data-field="total"' in page
