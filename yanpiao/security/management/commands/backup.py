"""``yanpiao backup FILE [--force]``: write an encrypted backup of the database, keysets and files.

The file opens with the master key alone (see :mod:`yanpiao.security.backup`); it is written
beside FILE and renamed into place when complete.  Exit 0 when written, 2 when refused.
"""

from django.core.management.base import BaseCommand, CommandError

from yanpiao.security import backup


class Command(BaseCommand):
    help = "Write an encrypted backup (database, keysets, audit checkpoints, uploads) to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the backup")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")

    def handle(self, *args, **options):
        try:
            summary = backup.write(options["file"], force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(
            f"{summary.path}: {_size(summary.size)} in {summary.seconds:.1f} s; {summary.vendor} database, "
            f"{len(summary.tables)} tables, {summary.rows:,} rows"
        )
        if options["verbosity"] >= 1:
            width = max((len(name) for name in summary.tables), default=0)
            for name, rows in summary.tables.items():
                if rows:
                    self.stdout.write(f"  {name:<{width}}  {rows:>12,}")


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return ""
