"""The ``yanpiao`` command: outcomes, exit status and messages, in process and from a fresh home."""

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import key_query
from yanpiao import cli
from yanpiao.fapiao.invoice import to_json
from yanpiao.registry import services as registry

# Django closes the database connection when a command ends, which a test transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def verify_args(query, *extra):
    args = ["verify", "--number", query.number, "--date", query.issue_date]
    for name in ("code", "amount", "check_code", "total"):
        if getattr(query, name):
            args += ["--" + name.replace("_", "-"), getattr(query, name)]
    return [*args, *extra]


def prepared(register, type, outcome):
    """An invoice and the query that gives ``outcome`` for it."""
    invoice = register(type=type)
    if outcome == "voided":
        registry.void(invoice.key)
    elif outcome == "abnormal":
        registry.flag_abnormal(invoice.key)
    elif outcome == "red_flushed":
        register(factories.red_letter(invoice, Decimal(1)))
    query = key_query(invoice)
    if outcome == "mismatch":
        query = key_query(invoice, issue_date="2025-01-02")
    elif outcome == "not_found":
        query = key_query(factories.invoice(type=type))
    elif outcome == "invalid":
        query = key_query(invoice, number="1234567")
    return invoice, query


OUTCOMES = {
    "authentic": 0,
    "mismatch": 1,
    "not_found": 1,
    "voided": 1,
    "red_flushed": 1,
    "abnormal": 1,
    "invalid": 2,
}


@pytest.mark.parametrize("type", ["32", "01", "10"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_verify_outcomes_and_exit_status(capsys, register, type, outcome):
    invoice, query = prepared(register, type, outcome)
    code, out, err = run(capsys, *verify_args(query, "--json"))
    result = json.loads(out)
    assert (result["outcome"], code) == (outcome, OUTCOMES[outcome])
    assert "Traceback" not in err
    if outcome in ("authentic", "voided", "red_flushed", "abnormal"):
        assert result["invoice"]["number"] == invoice.number
    else:
        assert result["invoice"] is None
    if outcome == "mismatch":
        assert result["differences"] == ["issue_date"]
    if outcome == "invalid":
        assert "number" in err
    assert result["id"]


def test_verify_text_output(capsys, register):
    invoice, query = prepared(register, "32", "authentic")
    code, out, _ = run(capsys, *verify_args(query))
    assert code == 0
    assert "outcome: authentic" in out and invoice.seller.name in out and "verification: " in out


def test_usage_errors_exit_2_without_traceback(capsys):
    code, _, err = run(capsys, "verify", "--date", "2025-01-01")
    assert code == 2 and "--number" in err and "Traceback" not in err
    code, _, err = run(capsys, "import", "/nonexistent/file.jsonl")
    assert code == 2 and "cannot read" in err


def test_import_and_export(capsys, tmp_path):
    records = [to_json(factories.invoice(type=t)) for t in ("32", "10")]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n{bad\n", encoding="utf-8"
    )
    code, out, err = run(capsys, "import", str(path))
    assert code == 1 and "line 3: not valid JSON" in err and "2 added" in out
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", str(path))
    assert code == 0 and "2 unchanged" in out
    code, out, _ = run(capsys, "export")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == records


def test_void_and_flag_commands(capsys, register):
    invoice = register(type="32")
    code, out, _ = run(capsys, "void", "--number", invoice.number, "--reason", "test")
    assert code == 0 and out.strip() == f"invoice {invoice.number} is now voided"
    code, out, _ = run(capsys, "void", "--number", invoice.number)
    assert code == 0 and out.strip() == f"invoice {invoice.number} was voided already; nothing changed"
    code, _, err = run(capsys, "flag", "--number", invoice.number)
    assert code == 1 and "cannot become abnormal" in err


def test_void_without_the_code_of_an_invoice_that_has_one_says_which_codes_match(capsys, register):
    invoice = register(type="10")
    code, _, err = run(capsys, "void", "--number", invoice.number)
    assert code == 1 and invoice.code in err and "Traceback" not in err


def test_invalid_input_is_reported_once(capsys):
    code, out, err = run(capsys, "verify", "--number", "1234567", "--date", "2025-02-30", "--total", "1")
    assert code == 2
    assert err.count("number:") == 1 and err.count("issue_date:") == 1
    assert "no such day" in err and "number" not in out.replace("verification", "")


def test_a_partly_reversed_invoice_is_described_as_such(capsys, register):
    original = register(type="32")
    register(factories.red_letter(original, Decimal("0.5")))
    code, out, _ = run(capsys, *verify_args(key_query(original)))
    assert code == 1 and "outcome: red_flushed" in out and "部分红冲" in out


def test_export_into_a_pipe_closed_early_ends_quietly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "home")
    filled = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", "demo", "--invoices", "3000", "--users", "0"],
        env=env,
        capture_output=True,
    )
    assert filled.returncode == 0, filled.stderr
    export = subprocess.Popen(
        [sys.executable, "-m", "yanpiao.cli", "export"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = export.stdout.readline()
    export.stdout.close()  # as `| head -1` does
    code = export.wait(timeout=60)
    assert json.loads(first)["number"]
    assert code == cli.EXIT_PIPE_CLOSED and export.stderr.read() == b""


@pytest.mark.parametrize(
    "argv", [["verify", "--number", "26112000000000000001", "--date", "2025-01-01", "--total", "1"]]
)
def test_fresh_home_is_prepared_by_any_command(tmp_path, argv):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["YANPIAO_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", *argv], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    assert "outcome: not_found" in done.stdout
    assert (tmp_path / "home" / "yanpiao.sqlite3").exists()


def test_bad_configuration_is_one_line(tmp_path):
    env = dict(os.environ, YANPIAO_HOME=str(tmp_path), YANPIAO_ENV="staging")
    done = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", "check"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "yanpiao: configuration error: YANPIAO_ENV must be one of development, production, test, not 'staging'"
    )


def test_extract_and_verify_file(capsys, register, tmp_path):
    from yanpiao.fapiao import qr

    invoice = register(type="32")
    payload = tmp_path / "scan.txt"
    payload.write_text(qr.build("32", "", invoice.number, invoice.total, invoice.issue_date) + "\n")
    junk = tmp_path / "notes.pdf"
    junk.write_text("not a pdf at all")
    code, out, err = run(capsys, "extract", "--json", str(payload))
    assert code == 0 and json.loads(out)["invoices"][0]["invoice"]["number"] == invoice.number
    code, out, err = run(capsys, "verify-file", str(payload))
    assert code == 0 and "outcome: authentic" in out
    code, out, err = run(capsys, "verify-file", "--json", str(payload), str(junk))
    assert code == 2 and f"{junk}: refused:" in err and "Traceback" not in err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["results"][0]["outcome"] == "authentic" and first["results"][0]["channel"] == "qr"
    assert second["refused"]["reason"] == "not_supported"


def test_the_data_folder_and_its_files_are_private(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANPIAO_") and k != "DATABASE_URL"}
    home = tmp_path / "home"
    env.update(YANPIAO_HOME=str(home), YANPIAO_AUDIT_CHECKPOINT_EVERY="1")
    commands = [
        ["keys", "status"],
        ["verify", "--number", "26112000000000000001", "--date", "2025-01-01", "--total", "1"],
        ["audit", "checkpoint"],
    ]
    for argv in commands:
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import os, sys; from yanpiao import cli; os.umask(0o022); sys.exit(cli.main())",
                *argv,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert (home / "yanpiao.sqlite3").exists() and (home / "master.key").exists()
    assert (home / "keys").is_dir() and (home / "audit").is_dir()
    modes = {
        str(path.relative_to(tmp_path)): oct(path.stat().st_mode & 0o777) for path in [home, *home.rglob("*")]
    }
    assert {name: mode for name, mode in modes.items() if int(mode, 8) & 0o077} == {}
    assert modes["home"] == "0o700"


def test_a_command_run_in_process_leaves_the_umask_as_it_was(capsys):
    before = os.umask(0o022)
    try:
        run(capsys, "check")
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(before)


def test_verify_with_an_amount_of_huge_exponent_says_invalid(capsys, register):
    invoice, query = prepared(register, "32", "authentic")
    code, out, err = run(
        capsys, "verify", "--number", query.number, "--date", query.issue_date, "--total", "1E+999999999"
    )
    assert code == OUTCOMES["invalid"]
    assert "total" in err and "Traceback" not in err
