"""``yanpiao extract PATH...``: print the invoices found in each document, without verifying them.

A photo whose QR code gives the key fields is not read by OCR (about a second per photo), as in
verification; ``--ocr`` reads its printed content too.  Exit status: 0 when every file gave at
least one invoice, 2 when a file was refused.
"""

import json

from django.core.management.base import BaseCommand

from yanpiao.intake import reader
from yanpiao.verification.management.documents import EXIT_INVALID, process_files, report_refusal


class Command(BaseCommand):
    help = "Read invoices from PDF, OFD, 数电 XML, image files or QR payload files, and print them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="print JSON (one object per file)")
        parser.add_argument(
            "--ocr",
            action="store_true",
            help="read the printed content of photos by OCR even when their QR code gives the key fields",
        )

    def handle(self, *args, **options):
        refused_any = False
        ocr_content = options["ocr"]

        def read(data, limits):
            return reader.extract(data, limits, ocr_content=ocr_content)

        for path, extraction, refused in process_files(options["paths"], read):
            if refused is not None:
                refused_any = True
                report_refusal(self, path, refused, options["json"])
            elif options["json"]:
                self.stdout.write(json.dumps({"file": path, **extraction.to_json()}, ensure_ascii=False))
            else:
                self.stdout.write(render_text(path, extraction))
        if refused_any:
            raise SystemExit(EXIT_INVALID)


def render_text(path, extraction) -> str:
    lines = [f"{path}: {extraction.format}, {len(extraction.candidates)} invoice(s)"]
    for finding in extraction.findings:
        lines.append(f"  {finding}")
    for index, candidate in enumerate(extraction.candidates, start=1):
        fields = candidate.fields
        lines.append(
            f"  [{index}] type {fields.get('type', '?')} code {fields.get('code') or '-'} number {fields.get('number', '?')}"
            f" date {fields.get('issue_date', '?')} amount {fields.get('amount', '?')} total {fields.get('total', '?')}"
        )
        for name in ("seller", "buyer"):
            if name in fields:
                lines.append(f"      {name}: {fields[name].get('name', '')} {fields[name].get('tax_id', '')}")
        for finding in candidate.findings:
            lines.append(f"      {finding}")
    return "\n".join(lines)
