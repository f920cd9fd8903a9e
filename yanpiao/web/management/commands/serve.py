"""``yanpiao serve``: run the web site with granian (WSGI)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the Yanpiao web site with granian."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, **options):
        from granian import Granian
        from granian.constants import Interfaces

        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535", returncode=2)
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1", returncode=2)
        self.stdout.write(f"Yanpiao is serving at http://{options['host']}:{options['port']}/", ending="\n")
        self.stdout.flush()
        Granian(
            target="yanpiao.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["workers"],
        ).serve()
