"""A child process ends with its parent, even a parent killed with SIGKILL."""

import subprocess
import sys
import time

import pytest

from tests.support.processes import HAS_PROC, alive, kill_all, stat, survivors_of_killing

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="reads processes from /proc")


WORKER = """
import multiprocessing, os, sys, time
from yanpiao import children
if sys.argv[1] == "watch":
    sys.platform = "elsewhere"  # no prctl: only the thread watching the parent
def work(parent):
    children.end_with_parent(parent)
    time.sleep(120)
worker = multiprocessing.get_context("fork").Process(target=work, args=(os.getpid(),))
worker.start()
print(worker.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("way", ["prctl", "watch"])
def test_a_child_ends_when_its_parent_is_killed(way):
    parent = subprocess.Popen([sys.executable, "-c", WORKER, way], stdout=subprocess.PIPE, text=True)
    workers: dict[int, str] = {}
    try:
        pid = int(parent.stdout.readline())
        workers = {pid: stat(pid)[2]}
        time.sleep(0.3)  # the worker is past its initializer
        assert alive(workers) == [pid]
        assert survivors_of_killing(parent, workers) == []
    finally:
        kill_all(parent, workers)
