"""``yanpiao restore FILE [--yes]``: replace the database, keysets and files with a backup.

The whole file is decrypted and checked first (master key, every segment, the manifest);
only then is anything replaced.  Without ``--yes`` an interactive terminal asks first.
Exit 0 when restored, 2 when refused (not a backup, wrong master key, damaged or truncated).
Stop the server and workers before restoring, and start them again afterwards.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from yanpiao.security import backup


class Command(BaseCommand):
    help = "Restore the database, keysets, audit checkpoints and uploads from a backup FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup to restore")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing")

    def handle(self, *args, **options):
        try:
            checked = backup.check(options["file"])
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        try:
            described = (
                f"backup of {checked.created_at}: {checked.manifest['vendor']} database, "
                f"{len(checked.tables)} tables, {checked.rows:,} rows"
            )
            if not options["yes"]:
                self._confirm(described)
            try:
                checked.install()
            except backup.BackupError as exc:
                raise CommandError(str(exc), returncode=2) from None
        finally:
            checked.discard()
        self.stdout.write(f"restored the {described}")

    def _confirm(self, described: str) -> None:
        if not sys.stdin.isatty():
            raise CommandError(
                "restoring replaces the database and keys; pass --yes to confirm", returncode=2
            )
        self.stdout.write(f"{described}")
        answer = input("Replace the database, keysets and files with this backup? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CommandError("nothing restored", returncode=2)
