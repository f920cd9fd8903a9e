"""``yanpiao keys status|rotate|reencrypt``: the keysets, their rotation and the re-encryption of stored values.

``rotate`` adds a new primary key to a keyset (``fields`` by default; ``backup`` and ``qr`` too) and then
re-encrypts every stored value under it, batch by batch, while the site keeps running (old
values decrypt throughout); ``--no-reencrypt`` leaves that to a later ``reencrypt``.
"""

from django.core.management.base import BaseCommand, CommandError

from yanpiao.security import audit, keys, rotation


class Command(BaseCommand):
    help = "Show, rotate and re-encrypt the keysets that protect stored data."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="keysets, their primary keys, values not yet re-encrypted")
        rotate = actions.add_parser("rotate", help="add a new primary key, then re-encrypt")
        rotate.add_argument("--keyset", default="fields", choices=rotation.ROTATABLE)
        rotate.add_argument("--no-reencrypt", action="store_true", help="only add the key")
        actions.add_parser("reencrypt", help="re-encrypt values not under the primary key")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "status":
            for name in keys.TEMPLATES:
                primary, ids = keys.key_ids(name)
                self.stdout.write(f"{name}: primary key {primary}, {len(ids)} key(s)")
            self.stdout.write(f"values not under the primary fields key: {rotation.stale_values():,}")
            return
        if action == "rotate":
            try:
                key_id = rotation.rotate(options["keyset"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
            _audit(options["keyset"], key_id)
            self.stdout.write(f"{options['keyset']}: new primary key {key_id}; earlier keys still decrypt")
            if options["keyset"] != "fields" or options["no_reencrypt"]:
                return
        self._reencrypt()

    def _reencrypt(self):
        reported: dict[str, int] = {}

        def report(progress):  # a line when a batch re-encrypted something, not one per batch
            if progress.rows != reported.get(progress.table, 0):
                reported[progress.table] = progress.rows
                self.stdout.write(f"  {progress.table}: {progress.rows:,} rows re-encrypted so far")

        results = rotation.reencrypt(on_batch=report)
        changed = [p for p in results if p.rows]
        if not changed:
            self.stdout.write("nothing to re-encrypt: every stored value is under the primary key")
            return
        for progress in changed:
            self.stdout.write(f"{progress.table}: {progress.rows:,} rows, {progress.values:,} values")
        total = sum(p.values for p in changed)
        self.stdout.write(f"re-encrypted {total:,} values in {len(changed)} of {len(results)} tables")


def _audit(keyset: str, key_id: int) -> None:
    audit.record(audit.Action.KEYS_ROTATE, detail={"keyset": keyset, "primary_key_id": key_id})
