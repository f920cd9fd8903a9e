"""``yanpiao history``: list or export the verification history, with the API's filters.

    yanpiao history list [--outcome …] [--type …] [--from …] [--limit 50] [--cursor …] [--json]
    yanpiao history export --format csv|xlsx -o FILE [filters]

Who it acts as: without ``--as`` the command is the operator at the console
(:class:`yanpiao.history.services.Operator`): everyone's history, personal data masked as an
auditor sees it, audited with no actor.  ``--as EMAIL`` (or phone) acts as that account instead
and sees exactly what it sees through the API; the audit entry names it.

Exit status: 0 done, 2 invalid filters, cursor or usage.
"""

from __future__ import annotations

import json
import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yanpiao.access.disclosure import verification_answer
from yanpiao.accounts.models import User
from yanpiao.history import export, paging, services
from yanpiao.history.filters import FilterError, HistoryFilter
from yanpiao.verification.models import Channel

EXIT_USAGE = 2
FILTERS = ("outcome", "type", "channel", "from", "to", "seller_tax_id", "min_total", "max_total")


class Command(BaseCommand):
    help = "List or export the verification history (everyone's, masked, unless --as names an account)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,export}")
        listing = actions.add_parser("list", help="one page of the history, newest first")
        listing.add_argument("--limit", type=int, default=paging.DEFAULT_LIMIT, help="rows, 1–100 (50)")
        listing.add_argument("--cursor", default="", help="the next_cursor a previous page printed")
        listing.add_argument("--json", action="store_true", help="the API's answer: items and next_cursor")
        exporting = actions.add_parser("export", help="every row the filters select, as CSV or XLSX")
        exporting.add_argument("--format", choices=export.FORMATS, default="csv")
        exporting.add_argument(
            "--output", "-o", required=True, help="file to write; - for standard output (CSV)"
        )
        for sub in (listing, exporting):
            sub.add_argument(
                "--as", dest="as_login", default="", help="act as this account (e-mail or phone)"
            )
            sub.add_argument("--outcome", help="authentic, mismatch, … (several: comma-separated)")
            sub.add_argument("--type", help="invoice type code of the check: 01, 04, 10, 31, 32 …")
            sub.add_argument("--channel", help="web, api, cli, qr, upload, batch")
            sub.add_argument("--from", dest="from", help="checked on or after: YYYY-MM-DD or a time")
            sub.add_argument("--to", help="checked on or before: YYYY-MM-DD (the whole day) or a time")
            sub.add_argument("--seller-tax-id", help="the seller's tax ID (revealed invoices only)")
            sub.add_argument("--min-total", help="价税合计 at least (revealed invoices only)")
            sub.add_argument("--max-total", help="价税合计 at most (revealed invoices only)")

    def handle(self, *args, **options):
        viewer = self._viewer(options["as_login"])
        try:
            history_filter = HistoryFilter.parse({name: options.get(name) for name in FILTERS})
        except FilterError as error:
            details = "; ".join(
                f"--{name.replace('_', '-')}: {reason}" for name, reason in error.fields.items()
            )
            raise CommandError(details, returncode=EXIT_USAGE) from None
        if options["action"] == "list":
            self._list(viewer, history_filter, options)
        else:
            self._export(viewer, history_filter, options)

    def _viewer(self, login: str):
        if not login:
            return services.Operator()
        user = User.objects.active_by_login(login)
        if user is None:
            raise CommandError(f"no active account {login!r}", returncode=EXIT_USAGE)
        return user

    def _list(self, viewer, history_filter: HistoryFilter, options) -> None:
        if not 1 <= options["limit"] <= paging.MAX_LIMIT:
            raise CommandError(f"--limit: between 1 and {paging.MAX_LIMIT}", returncode=EXIT_USAGE)
        try:
            page = services.page(viewer, history_filter, options["cursor"] or None, options["limit"])
        except paging.InvalidCursor:
            raise CommandError("--cursor: not a cursor of this site", returncode=EXIT_USAGE) from None
        if options["json"]:
            answer = {
                "items": [verification_answer(viewer, row) for row in page.items],
                "next_cursor": page.next_cursor,
            }
            self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2))
            return
        for row in page.items:
            submitted = row.submitted if isinstance(row.submitted, dict) else {}
            key = "/".join(part for part in (submitted.get("code"), submitted.get("number")) if part)
            self.stdout.write(
                f"{timezone.localtime(row.created_at):%Y-%m-%d %H:%M:%S}  {row.outcome:<11}  "
                f"{row.invoice_type or '--':<2}  {row.channel:<6}  {key or '-':<32}  {row.public_id}"
            )
        if page.next_cursor:
            # With "=": a cursor may begin with "-", which would pass for an option after a space.
            self.stdout.write(f"next page: --cursor={page.next_cursor}")

    def _export(self, viewer, history_filter: HistoryFilter, options) -> None:
        kind, path = options["format"], options["output"]
        if path == "-" and kind == "xlsx":
            raise CommandError("an XLSX export needs a file: -o FILE", returncode=EXIT_USAGE)
        job = export.Export(viewer, history_filter, kind, channel=Channel.CLI)
        try:
            if kind == "csv" and path == "-":
                for piece in job.csv():
                    self.stdout.write(piece, ending="")
                self.stdout.flush()
            elif kind == "csv":
                with open(path, "w", encoding="utf-8", newline="") as target:
                    for piece in job.csv():
                        target.write(piece)
            else:
                with job.xlsx() as workbook, open(path, "wb") as target:
                    shutil.copyfileobj(workbook, target)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}", returncode=EXIT_USAGE) from None
        if path != "-":
            self.stderr.write(f"{job.rows_written} rows written to {path}")
