"""``yanpiao alerts``: the risk alerts, as the operator at the console sees them (every alert).

    yanpiao alerts list [--kind K] [--status S] [--severity S] [--limit 50] [--json]
    yanpiao alerts show ID [--json]

``list`` prints one alert a line, newest first (``--json``: one JSON object a line); ``show``
one alert with its evidence and notes.  Exit status: 0 done, 2 a bad filter, id or usage.
"""

from __future__ import annotations

import json
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yanpiao.alerts import webhooks
from yanpiao.alerts.models import Alert
from yanpiao.alerts.services import check_filters

EXIT_USAGE = 2
MAX_LIMIT = 1000


def as_json(alert: Alert, notes: bool = False) -> dict:
    answer = {
        **webhooks.payload(alert),
        "status": alert.status,
        "subject_key": alert.subject_key,
        "assignee_id": alert.assignee_id,
        "evidence": list(alert.evidence),
        "updated_at": alert.updated_at.isoformat(timespec="seconds"),
        "closed_at": alert.closed_at.isoformat(timespec="seconds") if alert.closed_at else None,
    }
    if notes:
        answer["notes"] = [
            {"author_id": note.author_id, "text": note.text, "created_at": note.created_at.isoformat()}
            for note in alert.notes.order_by("created_at", "pk")
        ]
    return answer


class Command(BaseCommand):
    help = "List the risk alerts, or show one."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,show}")
        listing = actions.add_parser("list", help="the alerts, newest first")
        listing.add_argument("--kind", default="", help=f"one of {', '.join(Alert.Kind.values)}")
        listing.add_argument("--status", default="", help=f"one of {', '.join(Alert.Status.values)}")
        listing.add_argument("--severity", default="", help="low, medium or high")
        listing.add_argument("--limit", type=int, default=50, help=f"at most this many, 1–{MAX_LIMIT} (50)")
        listing.add_argument("--json", action="store_true", help="one JSON object a line")
        showing = actions.add_parser("show", help="one alert, its evidence and notes")
        showing.add_argument("id", help="the alert's id")
        showing.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["action"] == "list":
            self._list(options)
        else:
            self._show(options)

    def _list(self, options) -> None:
        filters = {name: (options[name] or "").strip() for name in ("kind", "status", "severity")}
        problems = check_filters(**filters)
        if problems:
            raise CommandError(
                "; ".join(f"--{name}: {reason}" for name, reason in problems.items()), returncode=EXIT_USAGE
            )
        if not 1 <= options["limit"] <= MAX_LIMIT:
            raise CommandError(f"--limit: between 1 and {MAX_LIMIT}", returncode=EXIT_USAGE)
        found = Alert.objects.all()
        for name, value in filters.items():
            if value:
                found = found.filter(**{name: value})
        for alert in found.order_by("-created_at", "-id")[: options["limit"]]:
            if options["json"]:
                self.stdout.write(json.dumps(as_json(alert), ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{timezone.localtime(alert.created_at):%Y-%m-%d %H:%M}  {alert.severity:<6}  "
                    f"{alert.status:<14}  {alert.kind:<24}  {alert.subject}:{alert.subject_key[:12]:<12}  "
                    f"x{alert.occurrences:<4}  {alert.public_id}"
                )

    def _show(self, options) -> None:
        try:
            public_id = uuid.UUID(options["id"].strip())
        except ValueError:
            raise CommandError(f"not an alert id: {options['id']!r}", returncode=EXIT_USAGE) from None
        alert = Alert.objects.filter(public_id=public_id).first()
        if alert is None:
            raise CommandError(f"no alert {public_id}", returncode=EXIT_USAGE)
        answer = as_json(alert, notes=True)
        if options["json"]:
            self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2))
            return
        for name in ("id", "kind", "severity", "status", "subject", "subject_key", "occurrences", "summary"):
            self.stdout.write(f"{name:<12} {answer[name]}")
        self.stdout.write(f"{'created_at':<12} {answer['created_at']}")
        self.stdout.write(f"{'evidence':<12} {', '.join(answer['evidence']) or '-'}")
        for note in answer["notes"]:
            self.stdout.write(f"note {note['created_at'][:19]} (user {note['author_id']}): {note['text']}")
