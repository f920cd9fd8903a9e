"""``yanpiao createsuperuser --email E`` or ``--phone P``: an administrator, password prompted.

Replaces Django's command, which would ask for the ``USERNAME_FIELD`` (here a blind index).
The password comes from ``DJANGO_SUPERUSER_PASSWORD`` or, interactively, from a prompt; it
must pass the password validators.  The addresses given count as confirmed: the operator
vouches for them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yanpiao.accounts import services
from yanpiao.accounts.management.passwords import operator_password
from yanpiao.accounts.models import Role, User


class Command(BaseCommand):
    help = "Create an administrator who logs in with an e-mail address or a phone number."

    def add_arguments(self, parser):
        parser.add_argument("--email", help="the administrator's e-mail address")
        parser.add_argument("--phone", help="the administrator's mobile number")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="take the password from DJANGO_SUPERUSER_PASSWORD instead of prompting",
        )

    def handle(self, *args, email=None, phone=None, interactive=True, **options):
        if not email and not phone:
            raise CommandError("give --email, --phone or both")
        contact = {}
        for login in filter(None, (email, phone)):
            try:
                kind, address = services.parse_login(login)
            except ValidationError as error:
                raise CommandError(f"{login}: {' '.join(error.messages)}") from None
            if User.objects.find_by_login(address) is not None:
                raise CommandError(f"{address} is already registered")
            contact[kind] = address
        password = self.password(User(**contact), interactive)
        user = services.create_account(**contact, password=password, role=Role.ADMIN)
        self.stdout.write(f"Administrator {user} created.")

    def password(self, user: User, interactive: bool) -> str:
        return operator_password(
            user, "DJANGO_SUPERUSER_PASSWORD", interactive=interactive, stderr=self.stderr
        )
