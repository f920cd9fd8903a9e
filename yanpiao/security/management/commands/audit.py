"""``yanpiao audit verify | checkpoint | tail``: prove the audit log intact, sign its head, show its end.

``verify`` exits 0 when the chain, every signed checkpoint, their sealed count and the table's
triggers hold, 1 otherwise, naming the first bad entry and then every other problem, one a line.
``checkpoint`` exits 1 (writing nothing) while the checkpoint file disagrees with its sealed
count; ``checkpoint --reseal`` accepts the file as it is, once the problem has been looked into,
and records that in the log.
"""

from django.core.management.base import BaseCommand, CommandError

from yanpiao.security import audit


class Command(BaseCommand):
    help = "Verify the audit log, sign a checkpoint of its head, or show its last entries."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="{verify,checkpoint,tail}")
        actions.add_parser("verify", help="check the hash chain, the signed checkpoints and the triggers")
        checkpoint = actions.add_parser(
            "checkpoint", help="sign the head of the log and append it to the checkpoints"
        )
        checkpoint.add_argument(
            "--reseal",
            action="store_true",
            help="accept the checkpoint file as it is now (after a reported problem was looked into)",
        )
        tail = actions.add_parser("tail", help="show the last entries")
        tail.add_argument("-n", type=int, default=20, help="how many entries (20)")

    def handle(self, *args, action=None, **options):
        if action == "verify":
            report = audit.verify()
            if not report.ok:
                self.stderr.write(report.summary())
                raise SystemExit(1)
            self.stdout.write(report.summary())
        elif action == "checkpoint":
            if options["reseal"]:
                was, now = audit.reseal()
                self.stdout.write(f"sealed count {was} -> {now}")
            try:
                signed = audit.checkpoint()
            except audit.AuditError as exc:
                raise CommandError(str(exc), returncode=1) from None
            self.stdout.write(f"checkpoint at id {signed['id']}: {signed['hash']} signed at {signed['at']}")
        elif action == "tail":
            if options["n"] < 1:
                raise CommandError("-n must be at least 1", returncode=2)
            for entry in audit.tail(options["n"]):
                actor = f"user {entry.actor_id}" if entry.actor_id is not None else "-"
                detail = audit.canonical(entry.detail) if entry.detail else ""
                self.stdout.write(
                    f"{entry.id:>8}  {entry.at:%Y-%m-%d %H:%M:%S}  {actor:<12}  {entry.action}  "
                    f"{entry.target}  {detail}".rstrip()
                )
        else:
            raise CommandError("say what to do: verify, checkpoint or tail", returncode=2)
