"""Organisations and roles: members join and leave; only admins change roles, each change audited once."""

import pytest
from django.core.exceptions import PermissionDenied

from tests import factories
from yanpiao.accounts import organisations
from yanpiao.accounts.models import Role, User

pytestmark = pytest.mark.django_db


# --- organisations and roles ---------------------------------------------------------------


def test_members_join_and_leave(make_user):
    company = organisations.create_organisation("示例公司", factories.tax_id(12))
    user = make_user()
    organisations.add_member(company, user)
    assert list(organisations.members_of(company)) == [user]
    with pytest.raises(organisations.OrganisationError):
        organisations.add_member(organisations.create_organisation("别家"), user)
    organisations.remove_member(company, user)
    assert User.objects.get(pk=user.pk).organisation is None
    with pytest.raises(organisations.OrganisationError):
        organisations.remove_member(company, user)


def test_an_organisation_needs_a_name_and_a_valid_tax_id():
    with pytest.raises(organisations.OrganisationError):
        organisations.create_organisation("  ")
    with pytest.raises(organisations.OrganisationError):
        organisations.create_organisation("示例公司", "91110108MA01ABCD2X")


def test_only_admins_change_roles_and_each_change_is_audited(make_user, audit_events):
    company = organisations.create_organisation("京华数据", factories.SELLER.tax_id)
    user, admin = make_user(organisation=company), make_user(Role.ADMIN)
    for actor in (user, make_user(Role.AUDITOR)):
        with pytest.raises(PermissionDenied):
            organisations.set_role(actor, user, Role.ADMIN)
    organisations.set_role(admin, user, Role.ISSUER)
    assert User.objects.get(pk=user.pk).role == Role.ISSUER
    changes = [e for e in audit_events if e["action"] == "account.powers_change"]
    assert len(changes) == 1  # one entry per change, with the admin who made it
    assert (changes[0]["actor"], changes[0]["target"]) == (admin, f"accounts.user:{user.pk}")
    assert changes[0]["detail"] == {"role": ["taxpayer", "issuer"]}
    with pytest.raises(organisations.OrganisationError):
        organisations.set_role(admin, make_user(), Role.ISSUER)  # no organisation, no seller tax ID
