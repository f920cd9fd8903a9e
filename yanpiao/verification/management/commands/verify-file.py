"""``yanpiao verify-file PATH...``: verify every invoice in each document.

Exit status as ``yanpiao verify``: 0 when every invoice is authentic, 1 for any other
outcome, 2 when a file was refused or an invoice's input was invalid.

An invoice whose QR code was read gets a line ``signature: valid|invalid|absent``: whether the
payload carries the registry's signature (:mod:`yanpiao.security.qr_signature`), and whether
it checks.  ``--offline`` reads the files and checks those signatures with the keys alone,
asking neither the registry nor the history (nothing is recorded, the database is not opened):
an invalid signature is ``tampered`` (exit 1); anything else says the registry was not asked
(exit 0: nothing was found wrong); a refused file exits 2.
"""

import json

from django.core.management.base import BaseCommand

from yanpiao.fapiao import compare
from yanpiao.intake import reader
from yanpiao.security import qr_signature
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
        parser.add_argument(
            "--offline",
            action="store_true",
            help="only read the files and check QR signatures: no registry, no history",
        )

    def handle(self, *args, **options):
        if options["offline"]:
            self._offline(options["paths"], options["json"])
            return
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
                    if result.signature:
                        self.stdout.write(f"signature: {result.signature}")
        if status != EXIT_AUTHENTIC:
            raise SystemExit(status)

    def _offline(self, paths: list[str], as_json: bool) -> None:
        status = EXIT_AUTHENTIC

        def read(data, limits):
            return reader.extract(data, limits, ocr_content=False)

        for path, extraction, refused in process_files(paths, read):
            if refused is not None:
                status = EXIT_INVALID
                report_refusal(self, path, refused, as_json)
                continue
            results = [offline_result(candidate) for candidate in extraction.candidates]
            if any(result["outcome"] == compare.TAMPERED for result in results) and status == EXIT_AUTHENTIC:
                status = EXIT_OTHER
            if as_json:
                answer = {"file": path, "format": extraction.format, "offline": True, "results": results}
                self.stdout.write(json.dumps(answer, ensure_ascii=False))
                continue
            for index, result in enumerate(results, start=1):
                self.stdout.write(f"{path} [{index}/{len(results)}] ({extraction.format}, offline)")
                self.stdout.write(result["description"])
                self.stdout.write(f"outcome: {result['outcome'] or 'not checked'}")
                self.stdout.write(f"signature: {result['signature'] or 'no QR code read'}")
                invoice = result["extracted"]["invoice"]
                for name in ("type", "code", "number", "issue_date", "amount", "check_code", "total"):
                    if invoice.get(name):
                        self.stdout.write(f"{name}: {invoice[name]}")
        if status != EXIT_AUTHENTIC:
            raise SystemExit(status)


NOT_ASKED = "未查验 — offline: the registry was not asked; only the QR code's signature was checked"
NOTHING_TO_CHECK = "未查验 — offline: the registry was not asked, and no QR code was read to check"


def offline_result(candidate) -> dict:
    """What can be said of one invoice without the registry: its QR signature, and ``tampered``
    when that signature does not check (else no outcome)."""
    signature = qr_signature.check(candidate.qr_text) if candidate.qr_text else None
    if signature == qr_signature.INVALID:
        outcome, description = compare.TAMPERED, services.FORGED
    else:
        outcome, description = None, NOT_ASKED if signature else NOTHING_TO_CHECK
    return {
        "outcome": outcome,
        "description": description,
        "signature": signature,
        "extracted": candidate.to_json(),
    }
