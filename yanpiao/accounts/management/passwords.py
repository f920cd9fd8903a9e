"""The password an operator gives a new account on the console: from an environment variable,
or typed twice at a prompt, and checked by the password validators either way."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

EXIT_USAGE = 2


def operator_password(user, variable: str, *, interactive: bool, stderr, tries: int = 3) -> str:
    """``variable``'s value, or (``interactive``) one typed twice the same at most ``tries`` times;
    :class:`CommandError` (exit 2) with one message when none is acceptable."""
    password = os.environ.get(variable)
    if password is not None or not interactive:
        if password is not None and not password:
            raise CommandError(f"{variable} is empty", returncode=EXIT_USAGE)
        if not password:
            raise CommandError(
                f"set {variable}, or run on a terminal to be asked for the password", returncode=EXIT_USAGE
            )
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(f"{variable}: {' '.join(error.messages)}", returncode=EXIT_USAGE) from None
        return password
    for _ in range(tries):
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            stderr.write("The passwords do not match.")
            continue
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            stderr.write(" ".join(error.messages))
            continue
        return password
    raise CommandError("no acceptable password given", returncode=EXIT_USAGE)
