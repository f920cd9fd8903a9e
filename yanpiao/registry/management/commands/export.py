"""``yanpiao export``: write the registry as invoice JSON (JSON Lines by default)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from yanpiao.registry import services
from yanpiao.registry.models import Status


class Command(BaseCommand):
    help = "Export registered invoices as invoice JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="-", help="file to write; - for standard output")
        parser.add_argument("--format", choices=["jsonl", "json"], default="jsonl")
        parser.add_argument("--status", choices=Status.values, help="only invoices with this status")

    def handle(self, *args, **options):
        path = options["output"]
        try:
            stream = sys.stdout if path == "-" else open(path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}", returncode=2) from None
        try:
            count = services.export_file(stream, options["format"], options["status"])
        finally:
            if stream is not sys.stdout:
                stream.close()
        self.stderr.write(f"exported {count} invoices")
