"""A stolen database shows no personal data: after ``yanpiao demo`` (with accounts), the raw
SQLite file and a ``pg_dump`` hold none of the known names, tax IDs, addresses, phone numbers,
bank accounts, check codes or e-mail addresses in clear."""

import datetime
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from yanpiao.demo.accounts import accounts
from yanpiao.demo.generator import generate

INVOICES = 1500
END = "2026-06-30"
YANPIAO = Path(sys.executable).with_name("yanpiao")


def known_secrets() -> set[str]:
    secrets = set()
    for invoice in generate(INVOICES, seed=1, end_date=datetime.date.fromisoformat(END)):
        for party in (invoice.seller, invoice.buyer):
            secrets.update(
                v for v in (party.name, party.tax_id, party.address, party.phone, party.account) if v
            )
        if invoice.check_code:
            secrets.add(invoice.check_code)
    for account in accounts(10, seed=1):
        secrets.update(v for v in (account.email, account.phone) if v)
    return secrets


def known_public() -> set[str]:
    """Invoice numbers are not secret: finding them shows that the search works."""
    return {invoice.number for invoice in generate(50, seed=1, end_date=datetime.date.fromisoformat(END))}


def run_demo(home: Path, **env) -> None:
    result = subprocess.run(
        [str(YANPIAO), "demo", "--invoices", str(INVOICES), "--users", "10", "--end-date", END],
        env={**os.environ, "YANPIAO_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def found(data: bytes, values: set[str]) -> list[str]:
    return sorted(v for v in values if v.encode() in data)


def test_the_sqlite_file_holds_no_personal_data(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [str(YANPIAO), "demo", "--invoices", str(INVOICES), "--users", "10", "--end-date", END],
        env={**env, "YANPIAO_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = b"".join(path.read_bytes() for path in tmp_path.glob("yanpiao.sqlite3*"))
    assert found(data, known_public()), "the search does not find even invoice numbers"
    assert found(data, known_secrets()) == []


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs DATABASE_URL pointing to PostgreSQL",
)
def test_a_pg_dump_holds_no_personal_data(tmp_path):
    database = settings.DATABASES["default"]
    name = f"yanpiao_plaintext_{uuid.uuid4().hex[:8]}"
    server = [
        "-h",
        database["HOST"] or "127.0.0.1",
        "-p",
        str(database["PORT"] or 5432),
        "-U",
        database["USER"],
    ]
    subprocess.run([shutil.which("createdb") or "/usr/bin/createdb", *server, name], check=True)
    try:
        url = f"postgres://{database['USER']}@{server[1]}:{server[3]}/{name}"
        run_demo(tmp_path, DATABASE_URL=url)
        dump = subprocess.run(
            [shutil.which("pg_dump") or "/usr/bin/pg_dump", *server, name], capture_output=True, check=True
        ).stdout
    finally:
        subprocess.run([shutil.which("dropdb") or "/usr/bin/dropdb", *server, "--force", name], check=False)
    assert found(dump, known_public()), "the search does not find even invoice numbers"
    assert found(dump, known_secrets()) == []
