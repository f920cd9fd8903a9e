"""The counters of several processes add up in one folder; the files of ended processes can go."""

import os
import subprocess
import sys

from yanpiao.observability import metrics


def test_the_files_of_ended_processes_are_forgotten_and_the_living_kept(tmp_path, monkeypatch):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid, live_pid = int(ended.stdout), os.getpid()
    for name in (f"counter_{dead_pid}.db", f"histogram_{dead_pid}.db", f"counter_{live_pid}.db"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert metrics.forget_dead_processes() == 2
    assert [path.name for path in tmp_path.iterdir()] == [f"counter_{live_pid}.db"]


def test_every_process_of_the_test_run_counts_into_the_folder_of_the_settings(settings):
    assert metrics.multiprocess_directory() == settings.YANPIAO_METRICS_DIR
    metrics.verified("authentic", "api")
    assert any(settings.YANPIAO_METRICS_DIR.glob(f"counter_{os.getpid()}.db"))
