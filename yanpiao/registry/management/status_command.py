"""The shared shape of the commands that change an invoice's status."""

from django.core.management.base import BaseCommand, CommandError

from yanpiao.fapiao.compare import normalize_text
from yanpiao.fapiao.invoice import InvoiceKey
from yanpiao.registry import services


class StatusCommand(BaseCommand):
    change = None  # a registry service taking (key, reason)

    def add_arguments(self, parser):
        parser.add_argument("--code", default="", help="发票代码 (leave out for 数电票)")
        parser.add_argument("--number", required=True, help="发票号码")
        parser.add_argument("--reason", default="", help="why, kept in the invoice's history")

    def handle(self, *args, **options):
        key = InvoiceKey(normalize_text(options["code"]), normalize_text(options["number"]))
        try:
            row, changed = self.change(key, options["reason"])
        except services.RegistryError as exc:
            raise CommandError(str(exc), returncode=1) from None
        if changed:
            self.stdout.write(f"invoice {key} is now {row.status}")
        else:
            self.stdout.write(f"invoice {key} was {row.status} already; nothing changed")
