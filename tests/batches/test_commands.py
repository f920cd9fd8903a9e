"""``yanpiao batch`` verifies a whole file in processes of its own and writes the result file; its
exit status says whether every row was authentic (0), not (1), or the file was refused (2)."""

import csv
import datetime
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.support.processes import fresh_environment
from yanpiao.demo.generator import generate
from yanpiao.registry import jsonio

HEADER = ("type", "code", "number", "issue_date", "amount", "check_code", "total")


def yanpiao(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def registry_home(home: Path, count: int, database_url: str | None = None, **settings: str):
    """A ``YANPIAO_HOME`` (and its environment) whose registry holds ``count`` demo invoices;
    also the normal ones (neither voided nor reversed), whose every check is authentic."""
    invoices = list(generate(count, seed=5, end_date=datetime.date(2026, 6, 30)))
    source = home.parent / f"{home.name}-registry.jsonl"
    source.write_text("".join(jsonio.dumps(invoice) + "\n" for invoice in invoices), encoding="utf-8")
    env = fresh_environment(home, database_url, **settings)
    imported = yanpiao(env, "import", str(source))
    assert imported.returncode == 0, imported.stderr
    return env, [invoice for invoice in invoices if invoice.status == "normal"]


def key_table(path: Path, invoices, extra: tuple[dict, ...] = ()) -> Path:
    """A CSV of the key fields a verifier types for each invoice, then the ``extra`` rows."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for fields in [factories.key_query(invoice).to_json() for invoice in invoices] + list(extra):
            writer.writerow([fields.get(name, "") for name in HEADER])
    return path


def history_count(home: Path) -> int:
    with sqlite3.connect(home / "yanpiao.sqlite3") as database:
        return database.execute(
            "SELECT count(*) FROM verification_verification WHERE channel = 'batch'"
        ).fetchone()[0]


def batches(home: Path) -> int:
    with sqlite3.connect(home / "yanpiao.sqlite3", timeout=30) as database:
        return database.execute("SELECT count(*) FROM batches_batch").fetchone()[0]


def wait_for(condition, what: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    home = tmp_path_factory.mktemp("batch-command") / "home"
    return (home, *registry_home(home, 120))


def test_a_file_of_authentic_invoices_exits_0_with_an_xlsx_of_every_row(registry, tmp_path):
    home, env, normal = registry
    rows = key_table(tmp_path / "三月发票.csv", normal[:60])
    done = yanpiao(env, "batch", str(rows), "-o", str(tmp_path / "result.xlsx"), "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "三月发票.csv: 60 rows, done: 60 authentic" in done.stdout
    workbook = load_workbook(tmp_path / "result.xlsx", read_only=True)
    assert workbook.sheetnames == ["汇总", "查验结果"]
    summary = {row[0]: row[1] for row in workbook["汇总"].iter_rows(min_row=2, max_row=9, values_only=True)}
    assert summary["authentic"] == 60 and sum(summary.values()) == 60
    header, *lines = workbook["查验结果"].iter_rows(values_only=True)
    assert [line[0] for line in lines] == list(range(1, 61))
    assert {line[header.index("outcome")] for line in lines} == {"authentic"}
    assert [line[header.index("number")] for line in lines] == [invoice.number for invoice in normal[:60]]


def test_any_row_not_authentic_exits_1_and_the_csv_says_which(registry, tmp_path):
    home, env, normal = registry
    before = history_count(home)
    unknown = {
        "type": "04",
        "code": "1100241320",
        "number": "99999999",
        "issue_date": "2026-01-05",
        "check_code": "123456",
    }
    rows = key_table(tmp_path / "rows.csv", normal[:5], extra=(unknown,))
    done = yanpiao(env, "batch", str(rows), "-o", str(tmp_path / "result.csv"), "--workers", "1")
    assert done.returncode == 1, done.stderr
    assert "6 rows, done: 5 authentic, 1 not_found" in done.stdout
    lines = list(csv.DictReader((tmp_path / "result.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [line["outcome"] for line in lines] == ["authentic"] * 5 + ["not_found"]
    assert history_count(home) == before + 6


def test_a_file_that_is_no_table_exits_2_with_the_reason_on_one_line(registry, tmp_path):
    _, env, _ = registry
    picture = tmp_path / "scan.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    done = yanpiao(env, "batch", str(picture), "-o", str(tmp_path / "result.xlsx"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("yanpiao batch: scan.csv: 这不是表格")
    assert not (tmp_path / "result.xlsx").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("-o", "result.pdf"), "must end in .csv or .xlsx"),
        (("-o", "result.csv", "--as", "nobody@example.com"), "no active account"),
        (("-o", "result.csv", "--workers", "-1"), "--workers"),
    ],
)
def test_a_misused_command_exits_2(registry, tmp_path, arguments, message):
    _, env, normal = registry
    rows = key_table(tmp_path / "rows.csv", normal[:1])
    done = yanpiao(env, "batch", str(rows), *arguments)
    assert done.returncode == 2 and message in done.stderr


def test_a_worker_run_once_verifies_the_batch_waiting_and_exits(registry, tmp_path):
    home, env, normal = registry
    before = batches(home)
    rows = key_table(tmp_path / "rows.csv", normal[:8])
    following = start(env, "batch", str(rows), "-o", str(tmp_path / "result.csv"), "--workers", "0")
    try:
        wait_for(lambda: batches(home) > before, "the batch to be queued")
        worked = yanpiao(env, "worker", "--once")
        assert worked.returncode == 0, worked.stderr
        assert following.wait(timeout=60) == 0
        assert "8 rows, done: 8 authentic" in following.stdout.read()
    finally:
        following.kill()
        following.wait()


def test_a_worker_on_a_batch_that_does_not_exist_exits_2(registry):
    _, env, _ = registry
    done = yanpiao(env, "worker", "--batch", "7d1f0c4e-0000-4000-8000-000000000000")
    assert done.returncode == 2 and "no batch" in done.stderr
