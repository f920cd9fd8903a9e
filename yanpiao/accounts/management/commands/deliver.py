"""``yanpiao deliver [--loop]``: run the queued mail, text messages and reset requests that are due.

Once by default (for cron, or to empty the queue by hand); ``--loop`` keeps going, for a worker
process of its own (``YANPIAO_DELIVERY=command`` in the web processes).  See
:mod:`yanpiao.accounts.delivery`.
"""

import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from yanpiao.accounts import delivery


class Command(BaseCommand):
    help = "Run the queued mail, text messages and password-reset requests that are due."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running (a delivery worker)")

    def handle(self, *args, **options):
        while True:
            done = delivery.deliver_due()
            count, first = delivery.waiting()
            if not options["loop"]:
                self.stdout.write(f"{done} done, {count} waiting")
                return
            pause = delivery.POLL if first is None else (first - timezone.now()).total_seconds()
            connection.close()
            time.sleep(min(max(pause, 1.0), delivery.POLL))
