"""The development master key: made once in the data folder, the same for every process."""

import base64
import multiprocessing
from pathlib import Path

from django.conf import settings

from yanpiao.security import keys


def _master_key_of_a_new_process(home: str, start, answers) -> None:
    settings.HOME = Path(home)  # this (forked) process's own settings
    start.wait()
    answers.put(keys.master_key())


def test_processes_starting_together_on_a_new_folder_share_one_master_key(tmp_path, monkeypatch):
    monkeypatch.delenv("YANPIAO_MASTER_KEY", raising=False)
    monkeypatch.delenv("YANPIAO_MASTER_KEY_FILE", raising=False)
    context = multiprocessing.get_context("fork")
    start, answers = context.Event(), context.Queue()
    processes = [
        context.Process(target=_master_key_of_a_new_process, args=(str(tmp_path), start, answers))
        for _ in range(8)
    ]
    for process in processes:
        process.start()
    start.set()
    found = {answers.get(timeout=30) for _ in processes}
    for process in processes:
        process.join(timeout=30)
    assert len(found) == 1
    assert (tmp_path / "master.key").read_bytes().strip() == base64.b64encode(found.pop())
    assert [path.name for path in tmp_path.iterdir()] == ["master.key"]  # no temporary file left
