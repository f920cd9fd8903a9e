"""The ``yanpiao`` command: Django's management commands, with the data folder prepared first.

``yanpiao verify …``, ``yanpiao import FILE``, ``yanpiao demo``, ``yanpiao serve`` and every
Django command (``yanpiao check``, ``yanpiao migrate``) run through here.  Before a command
runs, ``YANPIAO_HOME`` is created and the database migrated, so a fresh folder just works.
Errors reach the user as one line on stderr; a traceback goes to ``YANPIAO_HOME/logs``.

Every file the command creates is private (umask 0o077: files 0600, folders 0700), and in
production no command that uses the database starts without a usable master key.
"""

import logging
import os
import sys
import traceback

# Commands that must not touch the database before they run.
NO_DATABASE = {"help", "--help", "-h", "version", "--version", "makemigrations", "shell", "dbshell"}
# Commands that run without a master key in production: `check` reports its absence itself.
NO_KEYS = NO_DATABASE | {"check"}
PRIVATE_UMASK = 0o077  # files 0600, folders 0700: the data folder holds the database and the keys

EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_PIPE_CLOSED = 128 + 13  # as a process ended by SIGPIPE: the reader stopped reading (`| head`)


def offline(argv: list[str]) -> bool:
    """``yanpiao verify-file --offline``: checks QR signatures with the keys alone, no database."""
    return argv[0] == "verify-file" and "--offline" in argv


def prepare_database() -> None:
    """Apply any unapplied migrations (all of them on a fresh ``YANPIAO_HOME``)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)


def _log_crash() -> str:
    from django.conf import settings

    folder = settings.HOME / "logs"
    folder.mkdir(exist_ok=True)
    path = folder / "crash.log"
    with path.open("a") as handle:
        handle.write(traceback.format_exc())
    return str(path)


def _silence_stdout() -> None:
    """After the reader of our output went away: nothing more to write, not even at exit's flush."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def require_keys() -> None:
    """In production, refuse to start without a usable master key (``ImproperlyConfigured``)."""
    from django.conf import settings

    if settings.PRODUCTION:
        from yanpiao.security import keys

        keys.require_master_key()


def main(argv: list[str] | None = None) -> int:
    previous = os.umask(PRIVATE_UMASK)  # before anything creates YANPIAO_HOME or a file in it
    try:
        return _main(argv)
    finally:
        os.umask(previous)  # as it was, for a caller that runs commands in its own process


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanpiao.settings")
    from yanpiao.config import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"yanpiao: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        if argv and argv[0] not in NO_KEYS:
            require_keys()
        if argv and argv[0] not in NO_DATABASE and not offline(argv):
            prepare_database()
        execute_from_command_line(["yanpiao", *argv])
    except ImproperlyConfigured as exc:
        print(f"yanpiao: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("yanpiao: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE_CLOSED
    except Exception as exc:  # the last guard: never show a user a traceback
        logging.getLogger("yanpiao").debug("crash", exc_info=True)
        where = _log_crash()
        print(f"yanpiao: internal error ({type(exc).__name__}: {exc}); details in {where}", file=sys.stderr)
        return EXIT_INTERNAL
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
