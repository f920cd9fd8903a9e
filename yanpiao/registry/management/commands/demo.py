"""``yanpiao demo --invoices N [--seed S] [--end-date YYYY-MM-DD] [--if-empty]``: fill the registry.

Writes N realistic, deterministic demo invoices (see :mod:`yanpiao.registry.demo`) and prints
one line: what was written, how long it took.  ``--if-empty`` does nothing when the registry
already holds invoices (``make run`` uses it).
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
        if options["if_empty"]:
            existing = services.count_invoices()
            if existing:
                self.stdout.write(f"the registry already holds {existing:,} invoices; no demo invoices added")
                self._documents(options)
                return
        summary = demo.fill(count, seed=options["seed"], end_date=end_date)
        self.stdout.write(str(summary))
        self._documents(options)

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
