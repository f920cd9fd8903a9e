"""``yanpiao verify-file PATH...``: verify every invoice in each document.

Exit status as ``yanpiao verify``: 0 when every invoice is authentic, 1 for any other
outcome, 2 when a file was refused or an invoice's input was invalid.
"""

import json

from django.core.management.base import BaseCommand

from yanpiao.fapiao import compare
from yanpiao.verification import services
from yanpiao.verification.management.commands.verify import render_text
from yanpiao.verification.management.documents import (
    EXIT_AUTHENTIC,
    EXIT_INVALID,
    EXIT_OTHER,
    process_files,
    report_refusal,
)


class Command(BaseCommand):
    help = "Verify the invoices in PDF, OFD, 数电 XML, image files or QR payload files."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="print JSON (one object per file)")

    def handle(self, *args, **options):
        status = EXIT_AUTHENTIC

        def verify(data, limits):
            return services.verify_document(data, limits=limits)

        for path, document, refused in process_files(options["paths"], verify):
            if refused is not None:
                status = EXIT_INVALID
                report_refusal(self, path, refused, options["json"])
                continue
            for result in document.results:
                if result.outcome == compare.INVALID:
                    status = EXIT_INVALID
                elif not result.is_authentic and status == EXIT_AUTHENTIC:
                    status = EXIT_OTHER
            if options["json"]:
                self.stdout.write(json.dumps({"file": path, **document.to_json()}, ensure_ascii=False))
            else:
                for index, result in enumerate(document.results, start=1):
                    self.stdout.write(
                        f"{path} [{index}/{len(document.results)}] ({document.extraction.format})"
                    )
                    self.stdout.write(render_text(result))
        if status != EXIT_AUTHENTIC:
            raise SystemExit(status)
