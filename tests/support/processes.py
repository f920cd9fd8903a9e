"""Processes as Linux's /proc shows them: who is whose child, and who is still alive."""

import os
import signal
import time
from pathlib import Path

HAS_PROC = Path("/proc/self/stat").exists()


def stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), fields[19]


def children(parent: int) -> dict[int, str]:
    """The child processes of ``parent``: pid → start time."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found_stat = stat(int(entry.name))
            if found_stat and found_stat[1] == parent:
                found[int(entry.name)] = found_stat[2]
    return found


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (a zombie has ended; a reused pid is another process)."""
    living = []
    for pid, started in processes.items():
        now = stat(pid)
        if now and now[0] != "Z" and now[2] == started:
            living.append(pid)
    return living


def survivors_of_killing(parent, processes: dict[int, str], seconds: float = 5.0) -> list[int]:
    """SIGKILL ``parent`` (a ``subprocess.Popen``) and give ``processes`` ``seconds`` to end: those
    still running then."""
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    deadline = time.monotonic() + seconds
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(processes)


def kill_all(parent, processes: dict[int, str]) -> None:
    """Clean up after a test: ``parent`` and whatever of ``processes`` still runs."""
    parent.kill()
    parent.wait()
    for pid in alive(processes):
        os.kill(pid, signal.SIGKILL)


def fresh_environment(home, database_url: str | None = None, **extra: str) -> dict:
    """The environment of a ``yanpiao`` process of its own: this one's, without its database and
    master key, with ``YANPIAO_HOME`` at ``home`` (and ``DATABASE_URL`` and ``extra`` when given)."""
    private = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "YANPIAO_MASTER_KEY", "YANPIAO_MASTER_KEY_FILE")
    env = {name: value for name, value in os.environ.items() if name not in private}
    env["YANPIAO_HOME"] = str(home)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env
