"""Who sees what: verifications, invoices, API tokens and organisations are not visible to outsiders.

The access layer raises NotVisible; the pages answer 404, the same as for an id that does not exist.
"""

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao.access import visibility
from yanpiao.access.masking import mask
from yanpiao.access.visibility import NotVisible
from yanpiao.accounts import organisations, tokens
from yanpiao.accounts.models import Role
from yanpiao.verification.models import Channel
from yanpiao.verification.services import verify

pytestmark = pytest.mark.django_db


def invoice_url(invoice) -> str:
    return f"/invoices/{invoice.code or '-'}/{invoice.number}/"


# --- verifications -------------------------------------------------------------------------


def test_a_verification_is_seen_by_its_actor_the_organisation_and_staff(client, login, make_user, register):
    company = organisations.create_organisation("示例公司")
    actor, colleague = make_user(organisation=company), make_user(organisation=company)
    outsider, auditor = make_user(), make_user(Role.AUDITOR)
    result = verify(key_query(register()), actor=actor, channel=Channel.WEB)
    url = f"/verifications/{result.verification_id}/"

    for user in (actor, colleague, auditor):
        assert visibility.verification_for(user, result.verification_id).public_id == result.verification_id
        page = login(user).get(url)
        assert page.status_code == 200, user
        assert 'data-outcome="authentic"' in page.content.decode()
        client.logout()

    with pytest.raises(NotVisible):
        visibility.verification_for(outsider, result.verification_id)
    assert login(outsider).get(url).status_code == 404


def test_a_missing_or_malformed_verification_id_is_404_too(make_user):
    auditor = make_user(Role.AUDITOR)
    with pytest.raises(NotVisible):
        visibility.verification_for(auditor, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotVisible):
        visibility.verification_for(auditor, "not a uuid")


def test_an_anonymous_verification_is_seen_by_staff_only(make_user, register):
    result = verify(key_query(register()), actor=None)
    assert visibility.verification_for(make_user(Role.ADMIN), result.verification_id)
    with pytest.raises(NotVisible):
        visibility.verification_for(make_user(), result.verification_id)


def test_an_auditor_sees_another_users_verification_with_contact_masked(login, make_user, register):
    actor = make_user(email="zhangsan@example.com")
    result = verify(key_query(register()), actor=actor)
    html = login(make_user(Role.AUDITOR)).get(f"/verifications/{result.verification_id}/").content.decode()
    assert "z***@example.com" in html and "zhangsan@example.com" not in html


def test_the_differences_of_anothers_verification_are_masked_for_staff(client, login, make_user, register):
    actor = make_user()
    result = verify(key_query(register(), total="1.00"), actor=actor)
    url = f"/verifications/{result.verification_id}/"

    def submitted_total(page) -> str:
        row = page.content.decode().split('data-field="total"', 1)[1]
        return row.split('data-value="submitted">', 1)[1].split("<", 1)[0]

    assert submitted_total(login(actor).get(url)) == "1.00"
    client.logout()
    assert submitted_total(login(make_user(Role.AUDITOR)).get(url)) == "***"


# --- invoices ------------------------------------------------------------------------------


def test_an_invoice_is_404_to_an_outsider_and_to_a_failed_verifier(login, make_user, register):
    invoice = register()
    outsider = make_user()
    verify(key_query(invoice, total="1.00"), actor=outsider)  # mismatch: proves nothing
    with pytest.raises(NotVisible):
        visibility.invoice_for(outsider, invoice.code, invoice.number)
    assert login(outsider).get(invoice_url(invoice)).status_code == 404


def test_an_authentic_verification_shows_the_invoice_to_the_verifier_and_colleagues(
    client, login, make_user, register
):
    invoice = register(type="01")
    company = organisations.create_organisation("报销中心")
    verifier, colleague = make_user(organisation=company), make_user(organisation=company)
    assert verify(key_query(invoice), actor=verifier).outcome == "authentic"
    for user in (verifier, colleague):
        assert visibility.invoice_for(user, invoice.code, invoice.number).number == invoice.number
        page = login(user).get(invoice_url(invoice))
        assert page.status_code == 200
        assert invoice.seller.tax_id in page.content.decode()
        client.logout()


def test_an_issuer_sees_the_invoices_it_sold_and_a_buyer_the_ones_it_bought(login, make_user, register):
    invoice = register()  # sold by factories.SELLER to factories.BUYER
    seller = organisations.create_organisation("京华数据", factories.SELLER.tax_id)
    buyer = organisations.create_organisation("申联贸易", factories.BUYER.tax_id)
    issuer = make_user(Role.ISSUER, organisation=seller)
    clerk_of_the_seller = make_user(organisation=seller)  # a member, but not its issuer
    clerk_of_the_buyer = make_user(organisation=buyer)
    other_issuer = make_user(
        Role.ISSUER, organisation=organisations.create_organisation("别家", factories.tax_id(7))
    )

    for user in (issuer, clerk_of_the_buyer):
        assert visibility.invoice_for(user, invoice.code, invoice.number).number == invoice.number
    assert login(issuer).get(invoice_url(invoice)).status_code == 200
    assert list(visibility.issued_by(issuer).values_list("number", flat=True)) == [invoice.number]
    for user in (clerk_of_the_seller, other_issuer):
        with pytest.raises(NotVisible):
            visibility.invoice_for(user, invoice.code, invoice.number)
    assert not visibility.issued_by(other_issuer).exists()


def test_staff_see_every_invoice_with_the_parties_masked(login, make_user, register):
    invoice = register()
    for role in (Role.AUDITOR, Role.ADMIN):
        user = make_user(role)
        assert visibility.invoice_for(user, invoice.code, invoice.number)
    html = login(make_user(Role.AUDITOR)).get(invoice_url(invoice)).content.decode()
    assert mask(invoice.seller.tax_id, "tax_id") in html
    assert invoice.seller.tax_id not in html and invoice.seller.name not in html


# --- API tokens ----------------------------------------------------------------------------


def test_a_token_is_its_owners_only(login, make_user):
    owner, outsider, admin = make_user(), make_user(), make_user(Role.ADMIN)
    token, _ = tokens.create_token(owner, "小程序", ["verify"])
    assert visibility.token_for(owner, token.pk) == token
    for user in (outsider, admin):
        with pytest.raises(NotVisible):
            visibility.token_for(user, token.pk)
    with pytest.raises(NotVisible):
        visibility.token_for(outsider, token.pk, to_revoke=True)

    page = login(owner).get("/security/tokens/")
    assert page.status_code == 200 and token.prefix in page.content.decode()
    assert login(outsider).post(f"/security/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.prefix not in login(outsider).get("/security/tokens/").content.decode()


def test_an_admin_may_revoke_anyones_token(login, make_user):
    token, _ = tokens.create_token(make_user(), "报销 app", ["verify"])
    assert login(make_user(Role.ADMIN)).post(f"/security/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_owner_revokes_through_the_page(login, make_user):
    owner = make_user()
    token, _ = tokens.create_token(owner, "报销 app", ["verify"])
    assert login(owner).post(f"/security/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert tokens.state(token) == "revoked"


# --- organisations -------------------------------------------------------------------------


def test_an_organisation_is_seen_by_its_members_and_staff(client, login, make_user):
    company = organisations.create_organisation("示例公司", factories.tax_id(11))
    member, outsider = make_user(organisation=company), make_user()
    in_another = make_user(organisation=organisations.create_organisation("别家"))
    url = f"/organisations/{company.pk}/"

    assert visibility.organisation_for(member, company.pk) == company
    page = login(member).get(url)
    assert page.status_code == 200 and "示例公司" in page.content.decode()
    client.logout()
    for user in (outsider, in_another):
        with pytest.raises(NotVisible):
            visibility.organisation_for(user, company.pk)
        assert login(user).get(url).status_code == 404
        client.logout()
    for role in (Role.AUDITOR, Role.ADMIN):
        assert visibility.organisation_for(make_user(role), company.pk) == company
    html = login(make_user(Role.AUDITOR)).get(url).content.decode()
    assert "示***" in html and "示例公司" not in html and factories.tax_id(11) not in html


def test_a_missing_organisation_is_404_even_to_staff(make_user):
    with pytest.raises(NotVisible):
        visibility.organisation_for(make_user(Role.ADMIN), 999999)


def test_anonymous_users_see_nothing(register):
    from django.contrib.auth.models import AnonymousUser

    invoice = register()
    nobody = AnonymousUser()
    with pytest.raises(NotVisible):
        visibility.invoice_for(nobody, invoice.code, invoice.number)
    with pytest.raises(NotVisible):
        visibility.token_for(nobody, 1)
    with pytest.raises(NotVisible):
        visibility.organisation_for(nobody, 1)
    assert not visibility.verifications_visible_to(nobody).exists()
