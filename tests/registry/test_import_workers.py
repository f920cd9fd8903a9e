"""The worker processes of a big import end with the importing process, even one killed by SIGKILL."""

import datetime
import os
import subprocess
import sys
import time

import pytest

from tests.support.processes import HAS_PROC, children, kill_all, survivors_of_killing
from yanpiao.demo.generator import generate
from yanpiao.registry import jsonio

pytestmark = pytest.mark.skipif(not HAS_PROC, reason="reads processes from /proc")


def test_workers_die_with_a_killed_import(tmp_path):
    invoices = [jsonio.dumps(i) for i in generate(3_000, seed=11, end_date=datetime.date(2026, 6, 30))]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(invoices * 30) + "\n", encoding="utf-8")  # 90,000 lines, checked by workers
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANPIAO_") and k != "DATABASE_URL"}
    env.update(YANPIAO_HOME=str(tmp_path / "home"), YANPIAO_IMPORT_WORKERS="2")
    importer = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "import", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 90
        while len(workers) < 2 and importer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = children(importer.pid)
        assert len(workers) == 2, f"no workers seen; import ended with {importer.poll()}"
        assert survivors_of_killing(importer, workers) == [], "the import's workers outlived it"
    finally:
        kill_all(importer, workers)
