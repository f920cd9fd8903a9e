"""``yanpiao users create``: an account the operator vouches for, to provision an integration.

``yanpiao users create --email E | --phone P --role R [--organisation TAX_ID]
[--organisation-name NAME] [--display-name NAME]`` creates a confirmed account (the operator
vouches for its addresses; no message is sent).  The password comes from ``YANPIAO_PASSWORD``
or, on a terminal, from a prompt asked twice; it must pass the password validators.  With
``--organisation`` the account joins the organisation with that 纳税人识别号 (found by its
blind index), which is created first, named by ``--organisation-name``, when none has it.  An
issuer needs an organisation.  The account's creation is audited (``account.signup`` and
``account.provision``).  Any refusal is one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from yanpiao.accounts import organisations, services
from yanpiao.accounts.management.passwords import operator_password
from yanpiao.accounts.models import STAFF_ROLES, Organisation, Role, User
from yanpiao.fapiao import uscc
from yanpiao.security import audit
from yanpiao.security.fields import tax_id_index

EXIT_USAGE = 2
PASSWORD_VARIABLE = "YANPIAO_PASSWORD"
PROMPTS = 3  # tries at a prompt before giving up


def refuse(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_USAGE)


class Command(BaseCommand):
    help = "Create accounts for integrations: confirmed, with a role and an organisation."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a confirmed account; the password from YANPIAO_PASSWORD")
        create.add_argument("--email", help="its e-mail address")
        create.add_argument("--phone", help="its mainland mobile number")
        create.add_argument("--role", required=True, help=f"one of {', '.join(Role.values)}")
        create.add_argument("--organisation", metavar="TAX_ID", help="its organisation's 纳税人识别号")
        create.add_argument(
            "--organisation-name", metavar="NAME", help="the organisation's name, if it is created"
        )
        create.add_argument("--display-name", default="", help="the name shown for the account")

    def handle(self, *args, action, **options):
        if action == "create":
            self.create(**options)

    def create(self, *, email, phone, role, organisation, organisation_name, display_name, **options):
        contact = contacts(email, phone)
        if role not in Role.values:
            raise refuse(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
        if role == Role.ISSUER and not organisation:
            raise refuse("an issuer needs --organisation TAX_ID (the seller on its invoices)")
        display_name = " ".join((display_name or "").split())
        if len(display_name) > User._meta.get_field("display_name").max_length:
            raise refuse("--display-name is too long")
        tax_id, found = find_organisation(organisation) if organisation else ("", None)
        if tax_id and found is None and not (organisation_name or "").strip():
            raise refuse(f"no organisation has the tax ID {tax_id}: give --organisation-name to create it")
        password = self.password(User(**contact))
        with transaction.atomic():
            created = found is None and bool(tax_id)
            if created:
                try:
                    found = organisations.create_organisation(organisation_name, tax_id)
                except organisations.OrganisationError as error:
                    raise refuse(str(error)) from None
            user = services.create_account(
                **contact, password=password, role=role, display_name=display_name, organisation=found
            )
            audit.record(
                audit.Action.ACCOUNT_PROVISION,
                target=audit.target(user),
                detail={
                    "role": role,
                    "organisation": audit.target(found) if found else "",
                    "organisation_created": created,
                },
            )
        where = ""
        if found is not None:
            where = (
                f", organisation {found.pk} ({found.name}, {found.tax_id}{', created' if created else ''})"
            )
        self.stdout.write(f"Account {user.pk} created for {user}: role {role}{where}.")
        if role in STAFF_ROLES:
            self.stderr.write(
                "It must set up two-factor authentication (TOTP) at its first log-in on the web."
            )

    def password(self, user: User) -> str:
        return operator_password(
            user, PASSWORD_VARIABLE, interactive=sys.stdin.isatty(), stderr=self.stderr, tries=PROMPTS
        )


def contacts(email: str | None, phone: str | None) -> dict[str, str]:
    """``{"email": …, "phone": …}`` (those given), normalised, not registered yet."""
    if not email and not phone:
        raise refuse("give --email, --phone or both")
    contact = {}
    for expected, login in (("email", email), ("phone", phone)):
        if not login:
            continue
        try:
            kind, address = services.parse_login(login)
        except ValidationError as error:
            raise refuse(f"--{expected} {login}: {' '.join(error.messages)}") from None
        if kind != expected:
            raise refuse(
                f"--{expected} {login}: not {'an e-mail address' if expected == 'email' else 'a phone number'}"
            )
        if User.objects.find_by_login(address) is not None:
            raise refuse(f"{address} is already registered")
        contact[kind] = address
    return contact


def find_organisation(tax_id: str) -> tuple[str, Organisation | None]:
    """The tax ID, validated and normalised, and the organisation that has it (the oldest), if any."""
    tax_id = "".join(tax_id.split()).upper()
    if not uscc.is_valid_tax_id(tax_id):
        raise refuse(f"--organisation {tax_id}: not a valid 纳税人识别号 (统一社会信用代码)")
    found = Organisation.objects.filter(tax_id_index=tax_id_index(tax_id)).order_by("pk").first()
    return tax_id, found
