"""``yanpiao serve [--host H] [--port P] [--workers N] [--threads T] [--tls-cert F --tls-key F]``:
run the site with granian (WSGI); with a certificate and its key it serves HTTPS (TLS 1.2 at least).

Each worker process runs requests on ``--threads`` threads (default 4), each with its own
database connection kept between requests.  Verification is mostly Python, which runs one
thread at a time per process: more threads only add waiting (on two cores, 16 clients: p99 of
a verification 12 ms with 2 threads, 23 ms with 4, 55 ms with 8 — benchmarks/api_load.py),
and granian's own default (hundreds a worker) would open more PostgreSQL connections than the
server allows.  Fewer than 4 would let two or three slow document uploads hold every thread.
Requests beyond that wait in the worker's queue.  Open connections are not limited by the threads:
granian's ``backpressure`` counts accepted connections, and a browser keeps six open."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from granian.constants import SSLProtocols

from yanpiao.observability import metrics


class Command(BaseCommand):
    help = "Serve the Yanpiao web site with granian."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--threads", type=int, default=4, help="request threads per worker (default 4)")
        parser.add_argument("--tls-cert", help="PEM certificate (chain): serve HTTPS")
        parser.add_argument("--tls-key", help="PEM private key of the certificate")

    def handle(self, *args, **options):
        from granian import Granian
        from granian.constants import Interfaces

        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535", returncode=2)
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1", returncode=2)
        if not 1 <= options["threads"] <= 256:
            raise CommandError("--threads must be between 1 and 256", returncode=2)
        tls = _tls(options["tls_cert"], options["tls_key"])
        scheme = "https" if tls else "http"
        self.stdout.write(
            f"Yanpiao is serving at {scheme}://{options['host']}:{options['port']}/", ending="\n"
        )
        self.stdout.flush()
        metrics.forget_dead_processes()  # the counters of processes of an earlier run
        Granian(
            target="yanpiao.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            workers_kill_timeout=30,  # SIGTERM drains; a worker that hangs is killed after 30 s
            **tls,
        ).serve()


def _tls(cert: str | None, key: str | None) -> dict:
    if not cert and not key:
        return {}
    if not (cert and key):
        raise CommandError("--tls-cert and --tls-key go together", returncode=2)
    for label, name in (("--tls-cert", cert), ("--tls-key", key)):
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{label}: no file {name}", returncode=2)
        if b"-----BEGIN" not in path.read_bytes()[:4096]:
            raise CommandError(f"{label}: {name} is not a PEM file", returncode=2)
    return {"ssl_cert": Path(cert), "ssl_key": Path(key), "ssl_protocol_min": SSLProtocols.tls12}
