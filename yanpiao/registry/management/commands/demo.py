"""``yanpiao demo --invoices N [--users U] [--seed S] [--end-date YYYY-MM-DD] [--if-empty]``.

Writes N realistic, deterministic demo invoices (see :mod:`yanpiao.registry.demo`) and U demo
accounts (see :mod:`yanpiao.accounts.demo`), and prints what was written and how long it took.
``--if-empty`` adds no invoices when the registry already holds some (``make run`` uses it).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from yanpiao.registry import demo, services

MAX_INVOICES = 10_000_000
EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Fill the registry with realistic, deterministic demo invoices."

    def add_arguments(self, parser):
        parser.add_argument("--invoices", type=int, default=10_000, help="how many (default 10000)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same invoices")
        parser.add_argument("--end-date", help="latest issue date, YYYY-MM-DD (default today)")
        parser.add_argument("--if-empty", action="store_true", help="only fill a registry without invoices")
        parser.add_argument("--users", type=int, default=10, help="demo accounts to create (default 10)")
        parser.add_argument(
            "--documents", metavar="DIR", help="also write PDF, OFD, XML, photo and tampered copies to DIR"
        )
        parser.add_argument(
            "--documents-sample", type=int, default=50, help="of how many registered invoices (default 50)"
        )

    def handle(self, *args, **options):
        count = options["invoices"]
        if not 1 <= count <= MAX_INVOICES:
            raise CommandError(
                f"--invoices must be between 1 and {MAX_INVOICES:,}, not {count}", returncode=EXIT_USAGE
            )
        end_date = _end_date(options["end_date"])
        existing = services.count_invoices() if options["if_empty"] else 0
        if existing:
            self.stdout.write(f"the registry already holds {existing:,} invoices; no demo invoices added")
        else:
            summary = demo.fill(count, seed=options["seed"], end_date=end_date)
            self.stdout.write(str(summary))
        self._users(options)
        self._documents(options)

    def _users(self, options):
        if options["users"] < 1:
            return
        from yanpiao.accounts import demo as demo_accounts

        created = demo_accounts.create_users(options["users"], seed=options["seed"])
        if created:
            self.stdout.write(
                f"{len(created)} demo accounts (password {demo_accounts.DEMO_PASSWORD!r}), e.g. "
                + ", ".join(str(user.email or user.phone) for user in created[:3])
            )

    def _documents(self, options):
        if not options["documents"]:
            return
        from yanpiao.registry.render import documents

        manifest = documents.write_registry_sample(
            options["documents"], options["documents_sample"], seed=options["seed"]
        )
        self.stdout.write(f"{len(manifest)} documents written to {options['documents']} (see manifest.jsonl)")


def _end_date(text: str | None) -> datetime.date:
    today = services.today()
    if text is None:
        return today
    try:
        end_date = datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--end-date must be a date YYYY-MM-DD, not {text!r}", returncode=EXIT_USAGE
        ) from None
    if end_date > today:
        raise CommandError(
            f"--end-date {end_date} is in the future: invoices are never issued after today ({today})",
            returncode=EXIT_USAGE,
        )
    return end_date
