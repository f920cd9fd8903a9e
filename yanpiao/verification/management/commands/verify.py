"""``yanpiao verify``: verify an invoice by its typed key fields.

Exit status: 0 authentic, 1 any other outcome, 2 invalid input or usage.
"""

import json

from django.core.management.base import BaseCommand

from yanpiao.fapiao import compare
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.findings import ERROR, errors
from yanpiao.fapiao.types import NAMES
from yanpiao.verification import services
from yanpiao.verification.models import Channel

EXIT_AUTHENTIC, EXIT_OTHER, EXIT_INVALID = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Verify an invoice against the registry by 发票代码, 发票号码, 开票日期 and amount/check code/total."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", default="", help="发票代码 (10 or 12 digits; leave out for 数电票)")
        parser.add_argument("--number", required=True, help="发票号码 (8 digits, or 20 for 数电票)")
        parser.add_argument("--date", required=True, help="开票日期, YYYY-MM-DD")
        parser.add_argument("--amount", default="", help="金额 excluding tax (专票)")
        parser.add_argument("--check-code", default="", help="校验码: its last 6 digits or all 20 (普票)")
        parser.add_argument("--total", default="", help="价税合计 including tax (数电票)")
        parser.add_argument("--type", default="", help="invoice type code, e.g. 01, 04, 10, 31, 32")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        query = Query.from_fields(
            code=options["code"],
            number=options["number"],
            issue_date=options["date"],
            amount=options["amount"],
            check_code=options["check_code"],
            total=options["total"],
            type=options["type"],
        )
        result = services.verify(query, channel=Channel.CLI)
        invalid = result.outcome == compare.INVALID
        if options["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            # The errors of invalid input go to standard error, once each.
            self.stdout.write(render_text(result, with_errors=not invalid))
        if invalid:
            for finding in errors(result.findings):
                self.stderr.write(f"yanpiao verify: {finding.field}: {finding.message}")
            raise SystemExit(EXIT_INVALID)
        if not result.is_authentic:
            raise SystemExit(EXIT_OTHER)


def render_text(result: services.Result, with_errors: bool = True) -> str:
    """The result for people: the outcome first, then what may be shown (error findings unless
    ``with_errors`` is false)."""
    lines = [result.description, f"outcome: {result.outcome}"]
    for difference in result.differences:
        if difference.registered is None:
            lines.append(f"  differs: {difference.field}")
        else:
            lines.append(
                f"  differs: {difference.field}: registered {difference.registered!r}, submitted {difference.submitted!r}"
            )
    for finding in result.findings:
        if with_errors or finding.severity != ERROR:
            lines.append(f"  {finding.severity}: {finding.field}: {finding.message}")
    lines.append(f"risk: {result.risk.score} ({result.risk.level})")
    lines += [f"  {reason.code}: {reason.message}" for reason in result.risk.reasons]
    invoice = result.invoice
    if invoice:
        lines += [
            f"type: {invoice.type} {NAMES[invoice.type]}",
            f"code/number: {invoice.code or '-'} / {invoice.number}",
            f"issue date: {invoice.issue_date.isoformat()}",
            f"seller: {invoice.seller.name} ({invoice.seller.tax_id})",
            f"buyer: {invoice.buyer.name}" + (f" ({invoice.buyer.tax_id})" if invoice.buyer.tax_id else ""),
            f"amount: {invoice.amount}  tax: {invoice.tax}  total: {invoice.total} ({invoice.total_in_words})",
            f"status: {invoice.status}",
        ]
        for change in result.status_history:
            lines.append(
                f"  {change['changed_at']}: {change['previous_status']} -> {change['status']} {change['reason']}"
            )
    lines.append(f"verification: {result.verification_id}")
    return "\n".join(lines)
