"""``yanpiao extract PATH...``: print the invoices found in each document, without verifying them.

Exit status: 0 when every file gave at least one invoice, 2 when a file was refused.
"""

import json

from django.core.management.base import BaseCommand

from yanpiao.intake import reader
from yanpiao.intake.limits import Limits, RefusedDocument
from yanpiao.verification.management.documents import EXIT_INVALID, read_files, refusal_json


class Command(BaseCommand):
    help = "Read invoices from PDF, OFD, 数电 XML, image files or QR payload files, and print them."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--json", action="store_true", help="print JSON (one object per file)")

    def handle(self, *args, **options):
        refused_any = False
        limits = Limits.from_settings()
        for path, data, refused in read_files(options["paths"]):
            if data is not None:
                try:
                    extraction = reader.extract(data, limits)
                except RefusedDocument as exc:
                    refused = exc
            if refused is not None:
                refused_any = True
                self.stderr.write(f"{path}: refused: {refused.message}")
                if options["json"]:
                    self.stdout.write(json.dumps(refusal_json(path, refused), ensure_ascii=False))
                continue
            if options["json"]:
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
