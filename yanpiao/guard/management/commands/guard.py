"""``yanpiao guard``: the request guard's blocks, as the operator at the console sees them.

    yanpiao guard list [--json]
    yanpiao guard unblock ID|ADDRESS

``list`` prints the blocks in force, newest first, one a line (``--json``: one JSON object a
line); ``unblock`` lifts a block by its id, or every block of an address (audited,
``guard.unblock``).  Exit status: 0 done, 2 a bad id, address or usage.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yanpiao.guard import services
from yanpiao.guard.models import Block

EXIT_USAGE = 2


def as_json(block: Block) -> dict:
    return {
        "id": block.pk,
        "subject": block.subject,
        "label": block.label,
        "reason": block.reason,
        "created_at": block.created_at.isoformat(timespec="seconds"),
        "until": block.until.isoformat(timespec="seconds"),
    }


class Command(BaseCommand):
    help = "List the request guard's blocks, or lift one."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,unblock}")
        listing = actions.add_parser("list", help="the blocks in force, newest first")
        listing.add_argument("--json", action="store_true", help="one JSON object a line")
        lifting = actions.add_parser("unblock", help="lift a block by its id, or an address's blocks")
        lifting.add_argument("target", metavar="ID|ADDRESS")

    def handle(self, *args, **options):
        if options["action"] == "list":
            self._list(options["json"])
        else:
            self._unblock(options["target"])

    def _list(self, as_lines: bool) -> None:
        blocks = list(services.active_blocks())
        if not blocks and not as_lines:
            self.stderr.write("no address or account is blocked")
        for block in blocks:
            if as_lines:
                self.stdout.write(json.dumps(as_json(block), ensure_ascii=False))
            else:
                until = timezone.localtime(block.until).strftime("%Y-%m-%d %H:%M")
                self.stdout.write(
                    f"{block.pk}\t{block.subject}\t{block.label}\t{block.reason}\tuntil {until}"
                )

    def _unblock(self, target: str) -> None:
        try:
            found = services.find(target)
        except services.NotABlock as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        if not found:
            raise CommandError(f"no block in force for {target!r}", returncode=EXIT_USAGE)
        for block in found:
            services.unblock(block)
            self.stdout.write(f"unblocked {block.pk} ({block.subject} {block.label})")
