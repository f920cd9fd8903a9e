"""``yanpiao tokens create|list|revoke``: API tokens for integrations, made by the operator.

``yanpiao tokens create --email E | --phone P --scope verify [--scope history:read …]
[--days N] [--name NAME]`` creates a token for the account and prints its secret once, alone on
a line of standard output (so ``SECRET=$(yanpiao tokens create …)`` captures just it); what
was created goes to standard error.  ``list`` shows an account's tokens (never a secret),
``revoke ID`` revokes one.  Creating and revoking are audited (``api_token.create``,
``api_token.revoke``).  Any refusal is one line on stderr and exit status 2.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yanpiao.accounts import services, tokens
from yanpiao.accounts.models import ApiToken, User

EXIT_USAGE = 2


def refuse(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_USAGE)


def _account_options(parser) -> None:
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--email", help="the account's e-mail address")
    whose.add_argument("--phone", help="the account's mobile number")


class Command(BaseCommand):
    help = "Create, list and revoke API tokens of an account (the secret is printed once)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="a new token; its secret alone on standard output")
        _account_options(create)
        create.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            required=True,
            metavar="SCOPE",
            help=f"repeat for each: {', '.join(tokens.SCOPES)}",
        )
        create.add_argument(
            "--days",
            type=int,
            default=tokens.DEFAULT_DAYS,
            help=f"expires after N days, 1 to {tokens.MAX_DAYS}",
        )
        create.add_argument("--name", help="what the token is for (default: integration DATE)")
        listing = actions.add_parser("list", help="the account's tokens, without secrets")
        _account_options(listing)
        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int, metavar="ID")

    def handle(self, *args, action, **options):
        getattr(self, action)(**options)

    def create(self, *, email, phone, scopes, days, name, **options):
        user = account(email or phone)
        name = name if name is not None else f"integration {timezone.localdate().isoformat()}"
        try:
            token, secret = tokens.create_token(user, name, scopes, days)
        except tokens.TokenError as error:
            raise refuse(str(error)) from None
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.pk} ({token.prefix}…) for {user}: scopes {', '.join(token.scopes)}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}. The secret above is shown only once."
        )

    def list(self, *, email, phone, **options):
        user = account(email or phone)
        now = timezone.now()
        for token in tokens.tokens_of(user):
            used = f"{token.last_used_at:%Y-%m-%d}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}\t{tokens.state(token, now)}\t{token.prefix}…\t{','.join(token.scopes)}\t"
                f"expires {token.expires_at:%Y-%m-%d}\tlast used {used}\t{token.name}"
            )

    def revoke(self, *, token_id, **options):
        token = (
            ApiToken.objects.select_related("user").filter(pk=token_id).first()
            if 0 < token_id < 2**63
            else None
        )
        if token is None:
            raise refuse(f"no token {token_id}")
        tokens.revoke(token)
        self.stdout.write(f"Token {token.pk} ({token.prefix}…) of {token.user} revoked.")


def account(login: str) -> User:
    try:
        _, address = services.parse_login(login)
    except ValidationError as error:
        raise refuse(f"{login}: {' '.join(error.messages)}") from None
    user = User.objects.find_by_login(address)
    if user is None:
        raise refuse(f"no account has {address}")
    if not user.is_active:
        raise refuse(f"the account of {address} is deactivated")
    return user
