"""``yanpiao import FILE``: add invoices in invoice JSON (JSON Lines or an array) to the registry.

Each bad line is reported with its number and reason; good lines are stored.  Exit 0 only if
every line was accepted.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from yanpiao.registry import services


class Command(BaseCommand):
    help = "Import invoices from invoice JSON (JSON Lines or a JSON array); '-' reads standard input."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the file, or - for standard input")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from None
        try:
            report = services.import_file(stream)
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text", returncode=2) from None
        finally:
            if stream is not sys.stdin:
                stream.close()
        for error in report.rejected:
            self.stderr.write(f"{path}: {error}")
        self.stdout.write(
            f"{report.lines} lines: {report.added} added, {report.unchanged} unchanged, "
            f"{report.updated} status updated, {len(report.rejected)} rejected"
        )
        if not report.ok:
            raise SystemExit(1)
