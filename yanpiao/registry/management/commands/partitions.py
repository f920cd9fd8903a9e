"""``yanpiao partitions ensure|list``: the monthly partitions of the history, audit log and registry (PostgreSQL)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from yanpiao import partitions


class Command(BaseCommand):
    help = "Create the next months' partitions (ensure), or list the partitions (list). PostgreSQL only."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["ensure", "list"])
        parser.add_argument(
            "--months-ahead", type=int, default=partitions.MONTHS_AHEAD, help="months past this one to create"
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("partitions exist on PostgreSQL only; this database is not partitioned")
        if options["action"] == "ensure":
            if options["months_ahead"] < 0:
                raise CommandError("--months-ahead must be 0 or more", returncode=2)
            created = partitions.ensure_partitions(options["months_ahead"])
            for name in created:
                self.stdout.write(f"created {name}")
            self.stderr.write(f"{len(created)} partitions created")
            return
        for table, key in partitions.partitioned_tables().items():
            self.stdout.write(f"{table} (by month of {key})")
            for partition in partitions.partitions(table):
                rows = "?" if partition.rows < 0 else f"~{partition.rows}"
                self.stdout.write(f"  {partition.name}  {partition.bounds}  {rows} rows")
