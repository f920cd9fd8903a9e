"""``yanpiao demo [--invoices N] [--users U] [--seed S] [--end-date YYYY-MM-DD] [--if-empty] [--documents DIR]``.

Registers N realistic, deterministic demo invoices (:mod:`yanpiao.demo.fill`; 10,000 unless
only documents are asked for) and U demo accounts (:mod:`yanpiao.demo.accounts`), and prints
what was written and how long it took.  ``--if-empty`` adds no invoices when the registry
already holds some (``make run`` uses it).  ``--documents DIR`` writes a sample of the
registered invoices as PDF, OFD and 数电 XML (:mod:`yanpiao.demo.documents`); alone, it adds
no invoices.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from yanpiao.demo import accounts as demo_accounts
from yanpiao.demo import documents, fill
from yanpiao.registry import services as registry

DEFAULT_INVOICES = 10_000
MAX_INVOICES = 10_000_000
EXIT_USAGE = 2


class Command(BaseCommand):
    help = "Fill the registry with realistic, deterministic demo invoices and accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--invoices",
            type=int,
            help=f"how many (default {DEFAULT_INVOICES:,}; none with --documents alone)",
        )
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same invoices")
        parser.add_argument("--end-date", help="latest issue date, YYYY-MM-DD (default today)")
        parser.add_argument("--if-empty", action="store_true", help="only fill a registry without invoices")
        parser.add_argument("--users", type=int, default=10, help="demo accounts to create (default 10)")
        parser.add_argument(
            "--documents", metavar="DIR", help="write PDF, OFD and XML of sampled registered invoices to DIR"
        )
        parser.add_argument(
            "--documents-sample", type=int, default=50, help="of how many registered invoices (default 50)"
        )

    def handle(self, *args, **options):
        count = options["invoices"]
        if count is None:
            count = 0 if options["documents"] else DEFAULT_INVOICES
        elif not 1 <= count <= MAX_INVOICES:
            raise CommandError(
                f"--invoices must be between 1 and {MAX_INVOICES:,}, not {count}", returncode=EXIT_USAGE
            )
        if options["documents_sample"] < 1:
            raise CommandError("--documents-sample must be at least 1", returncode=EXIT_USAGE)
        end_date = _end_date(options["end_date"])
        if count:
            self._invoices(count, options["seed"], end_date, options["if_empty"])
        self._users(options)
        if options["documents"]:
            self._documents(options)

    def _invoices(self, count, seed, end_date, if_empty):
        existing = registry.count_invoices() if if_empty else 0
        if existing:
            self.stdout.write(f"the registry already holds {existing:,} invoices; no demo invoices added")
        else:
            self.stdout.write(str(fill.fill(count, seed=seed, end_date=end_date)))

    def _users(self, options):
        if options["users"] < 1:
            return
        created = demo_accounts.create_users(options["users"], seed=options["seed"])
        if created:
            self.stdout.write(
                f"{len(created)} demo accounts (password {demo_accounts.DEMO_PASSWORD!r}), e.g. "
                + ", ".join(str(user.email or user.phone) for user in created[:3])
            )

    def _documents(self, options):
        if not registry.count_invoices():
            raise CommandError(
                "the registry is empty: fill it first (yanpiao demo), or give --invoices N",
                returncode=EXIT_USAGE,
            )
        folder = options["documents"]
        manifest = documents.write_sample(folder, options["documents_sample"], seed=options["seed"])
        self.stdout.write(f"{len(manifest)} documents written to {folder} (see manifest.jsonl)")


def _end_date(text: str | None) -> datetime.date:
    today = registry.today()
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
