"""``yanpiao demo``: invoices, accounts and documents, and what it says."""

import io
import json
import re

import pytest
from django.core.management import call_command

from yanpiao import cli
from yanpiao.registry.models import Invoice


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_command_fills_and_says_what_it_did():
    output = run_command("--invoices", "120", "--seed", "2", "--end-date", "2026-06-30")
    assert Invoice.objects.count() == 120
    assert re.match(r"120 demo invoices in [\d.]+ s \([\d,]+/s\); types .*; statuses .*normal:\d+", output)


@pytest.mark.django_db
def test_if_empty_fills_an_empty_registry_and_leaves_a_full_one_alone():
    run_command("--invoices", "50", "--if-empty", "--end-date", "2026-06-30")
    assert Invoice.objects.count() == 50
    output = run_command("--invoices", "80", "--if-empty")
    assert Invoice.objects.count() == 50
    assert "already holds 50 invoices" in output


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "args",
    [
        ["--invoices", "0"],
        ["--invoices", "lots"],
        ["--invoices", "10", "--end-date", "2026-13-01"],
        ["--invoices", "10", "--end-date", "2999-01-01"],
        ["--invoices", "10", "--colour", "red"],
    ],
)
def test_bad_arguments_exit_with_status_2(args, capsys):
    assert cli.main(["demo", *args]) == 2
    assert capsys.readouterr().err
    assert Invoice.objects.count() == 0


@pytest.mark.django_db
def test_documents_of_a_sample_are_written_with_a_manifest(tmp_path):
    run_command("--invoices", "60", "--seed", "3", "--end-date", "2026-06-30")
    output = run_command("--documents", str(tmp_path), "--documents-sample", "4", "--seed", "3")
    manifest = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert len({(e["code"], e["number"]) for e in manifest}) == 4
    assert all((tmp_path / e["file"]).exists() for e in manifest)
    assert f"{len(manifest)} documents written" in output


@pytest.mark.django_db
def test_documents_alone_add_no_invoices(tmp_path):
    run_command("--invoices", "30", "--end-date", "2026-06-30")
    run_command("--documents", str(tmp_path), "--documents-sample", "2")
    assert Invoice.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_documents_of_an_empty_registry_are_refused(tmp_path, capsys):
    assert cli.main(["demo", "--documents", str(tmp_path)]) == 2
    assert "registry is empty" in capsys.readouterr().err
    assert Invoice.objects.count() == 0
