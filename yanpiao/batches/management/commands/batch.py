"""``yanpiao batch FILE -o RESULT.xlsx|.csv [--workers N] [--as EMAIL]``: verify a whole file.

The file (CSV, XLSX, XLS, JSON Lines, or a ZIP of documents) becomes a batch, as an upload does
(:func:`yanpiao.batches.services.create`), owned by the account ``--as`` names, else by no one
(the operator at the console).  The command then verifies it in ``--workers`` processes of its
own (2 by default), each claiming chunks exactly as a ``yanpiao worker`` does — so workers
already running help, and nothing is verified twice.  ``--workers 0`` leaves the batch to the
running workers and only follows it.  A progress bar (rows, rows/s, time left) shows on stderr.

At the end the result file is written (:mod:`yanpiao.batches.results`: by its extension, CSV or
XLSX) and a summary printed.  Ctrl-C cancels the batch (``yanpiao`` exits 130).

Exit status: 0 when every row is ``authentic``; 1 otherwise (another outcome, a duplicate
still verified, a batch that failed); 2 when the file is refused (the reason on stderr, one
line) or the command is misused.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

# The models are imported inside the functions: this module is also the entry point of the
# verifying processes (spawned: a fresh interpreter that sets Django up before any model loads).

EXIT_AUTHENTIC, EXIT_OTHER, EXIT_REFUSED = 0, 1, 2
DEFAULT_WORKERS = 2
REFRESH_SECONDS = 0.25


class Command(BaseCommand):
    help = "Verify every invoice of a file (table or ZIP of documents) and write a result file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV, XLSX, XLS, JSON Lines, or a ZIP of documents")
        parser.add_argument(
            "-o", "--output", required=True, help="the result file: RESULT.csv or RESULT.xlsx"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help=f"processes verifying here ({DEFAULT_WORKERS}); 0: leave it to running `yanpiao worker`s",
        )
        parser.add_argument(
            "--as", dest="as_login", default="", help="the owner: an account's e-mail or phone"
        )

    def handle(self, *args, **options):
        from yanpiao.batches import results, services
        from yanpiao.batches.rows import BatchRefused

        output = Path(options["output"])
        file_format = output.suffix.lower().lstrip(".")
        if file_format not in results.FORMATS:
            raise CommandError("-o: the result file must end in .csv or .xlsx", returncode=EXIT_REFUSED)
        if options["workers"] < 0:
            raise CommandError("--workers: 0 or more", returncode=EXIT_REFUSED)
        owner = _owner(options["as_login"])
        path = Path(options["file"])
        try:
            batch = services.create(owner, path, path.name)
        except BatchRefused as refused:
            self.stderr.write(f"yanpiao batch: {path.name}: {' '.join(refused.message.split())}")
            raise SystemExit(EXIT_REFUSED) from None
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=EXIT_REFUSED) from None
        processes = [_spawn(batch.pk) for _ in range(options["workers"])]
        try:
            _follow(batch, processes)
        except KeyboardInterrupt:
            services.cancel(owner, batch)
            raise
        finally:
            for process in processes:
                process.join(timeout=5)
        try:
            rows = services.copy_result(batch, file_format, output, viewer=owner)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}", returncode=EXIT_REFUSED) from None
        self.stdout.write(_summary(batch, rows, output))
        authentic = batch.status == batch.Status.DONE and batch.counts.get("authentic", 0) == rows
        if not authentic:
            raise SystemExit(EXIT_OTHER)


def _owner(login: str):
    from yanpiao.accounts.models import User

    if not login:
        return None
    user = User.objects.active_by_login(login)
    if user is None:
        raise CommandError(f"--as: no active account {login!r}", returncode=EXIT_REFUSED)
    return user


def _spawn(batch_id: int) -> multiprocessing.Process:
    """A process of its own that claims the batch's chunks until the batch has ended; it ends
    with this one, even killed."""
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=verify_in_child, args=(os.getpid(), batch_id), daemon=True)
    process.start()
    return process


def verify_in_child(parent: int, batch_id: int) -> None:
    from yanpiao.children import end_with_parent

    end_with_parent(parent)
    import django

    django.setup()
    from yanpiao.batches import chunks

    chunks.work(batch_id, wait=True)


def _follow(batch, processes: list) -> None:
    """Show the batch's progress until it has ended.  Should every process of this command have
    ended first (one crashed), the rest is verified here."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from yanpiao.batches import chunks

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(batch.name, total=batch.total, rate="")
        started = time.monotonic()
        while True:
            batch.refresh_from_db(fields=["status", "processed"])
            elapsed = time.monotonic() - started
            rate = f"{batch.processed / elapsed:,.0f} rows/s" if elapsed > 0 and batch.processed else ""
            bar.update(task, completed=batch.processed, rate=rate)
            if not chunks.ongoing(batch.pk):
                break
            if processes and not any(process.is_alive() for process in processes):
                chunks.work(batch.pk, wait=True)
                continue
            time.sleep(REFRESH_SECONDS)
    batch.refresh_from_db()


def _summary(batch, rows: int, output: Path) -> str:
    from yanpiao.fapiao.compare import OUTCOMES

    counts = ", ".join(f"{batch.counts[o]:,} {o}" for o in OUTCOMES if batch.counts.get(o))
    lines = [f"{batch.name}: {rows:,} rows, {batch.status}" + (f": {counts}" if counts else "")]
    if batch.duplicates:
        lines.append(f"{batch.duplicates:,} rows repeat an earlier code and number (duplicate_of)")
    if batch.error:
        lines.append(f"error: {batch.error}")
    lines.append(f"batch {batch.public_id}; results in {output}")
    return "\n".join(lines)
