"""Organisations and roles: create a company, add and remove its members, change a user's role.

Members of an organisation share a verification history (:mod:`yanpiao.access.visibility`).
An issuer is bound to its organisation's tax ID (the seller's on the invoices it manages), so
only a member of an organisation with a tax ID can be made an issuer.  Only admins change
roles; each change is written to the audit log as ``account.powers_change``, with the admin
(:mod:`yanpiao.security.signals`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from yanpiao.accounts.models import Organisation, Role, User
from yanpiao.fapiao import uscc

NAME_LENGTH = 200


class OrganisationError(ValueError):
    """An organisation or membership change was refused; the message says why."""


def create_organisation(name: str, tax_id: str = "", founder: User | None = None) -> Organisation:
    """A new organisation; its ``founder`` (if any) becomes its first member."""
    name = " ".join((name or "").split())
    tax_id = "".join((tax_id or "").split()).upper()
    if not name or len(name) > NAME_LENGTH:
        raise OrganisationError(f"an organisation needs a name of 1 to {NAME_LENGTH} characters")
    if tax_id and not uscc.is_valid_tax_id(tax_id):
        raise OrganisationError(f"{tax_id} is not a valid 纳税人识别号")
    with transaction.atomic():
        organisation = Organisation(name=name, tax_id=tax_id)
        organisation.save()
        if founder is not None:
            add_member(organisation, founder)
    return organisation


def members_of(organisation: Organisation):
    return organisation.members.order_by("id")


def add_member(organisation: Organisation, user: User) -> User:
    if user.organisation_id not in (None, organisation.pk):
        raise OrganisationError("the user belongs to another organisation; remove them from it first")
    user.organisation = organisation
    user.save(update_fields=["organisation"])
    return user


def remove_member(organisation: Organisation, user: User) -> User:
    """Remove a member; an issuer removed from its organisation goes back to being a taxpayer."""
    if user.organisation_id != organisation.pk:
        raise OrganisationError("the user is not a member of this organisation")
    user.organisation = None
    fields = ["organisation"]
    if user.role == Role.ISSUER:
        user.role = Role.TAXPAYER
        fields.append("role")
    user.save(update_fields=fields)
    return user


def set_role(actor: User, user: User, role: str) -> User:
    """Give ``user`` a new role; only an admin may, and the change is audited."""
    if not (actor and actor.is_authenticated and actor.is_admin):
        raise PermissionDenied("only admins may change roles")
    if role not in Role.values:
        raise OrganisationError(f"unknown role {role!r}")
    if role == Role.ISSUER and not (user.organisation_id and user.organisation.tax_id_index):
        raise OrganisationError("an issuer must belong to an organisation with a tax ID")
    if user.role == role:
        return user
    user.role = role
    user.changed_by = actor
    with transaction.atomic():  # the change and its audit entry (yanpiao.security.signals) together
        user.save(update_fields=["role"])
    return user
