"""Encrypted backups: backup → wipe → restore round-trips every table; wrong keys, damaged files refused.

The commands run in subprocesses with their own ``YANPIAO_HOME`` (and, on PostgreSQL, a scratch
database), as an operator would run them, so the database really is replaced on disk.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import tink
from tink import streaming_aead

from tests.support.processes import fresh_environment
from yanpiao.security import keys

SEGMENT = 1 << 20
FILES = ("keys", "audit", "uploads", "secret_key")

DUMP_TABLES = """
import json
import django
django.setup()
from django.db import connection

def plain(value):
    return bytes(value).hex() if isinstance(value, (bytes, memoryview)) else value

tables = {}
with connection.cursor() as cursor:
    for name in sorted(connection.introspection.table_names()):
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(name)}")
        tables[name] = sorted(repr([plain(value) for value in row]) for row in cursor.fetchall())
print(json.dumps(tables))
"""

ADD_USER = """
import django
django.setup()
from yanpiao.accounts.models import User
User.objects.create_user("a@example.com", "long enough pass")
"""


def environment(home: Path, database_url: str | None = None, **extra: str) -> dict:
    return fresh_environment(home, database_url, **extra)


def yanpiao(home: Path, *argv: str, database_url: str | None = None, **extra: str):
    return subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", *argv],
        env=environment(home, database_url, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def python(home: Path, code: str, database_url: str | None = None, **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(home, database_url, DJANGO_SETTINGS_MODULE="yanpiao.settings", **extra),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def ok(done) -> str:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def tables(home: Path, database_url: str | None = None, **extra: str) -> dict:
    """Every row of every table, in a comparable form."""
    return json.loads(python(home, DUMP_TABLES, database_url, **extra))


def files(home: Path) -> dict[str, bytes]:
    """The keysets, audit checkpoints, uploads and secret key, by path."""
    found = {}
    for name in FILES:
        path = home / name
        if path.is_file():
            found[name] = path.read_bytes()
        for file in sorted(path.rglob("*")) if path.is_dir() else ():
            if file.is_file():
                found[file.relative_to(home).as_posix()] = file.read_bytes()
    return found


def populate(home: Path, database_url: str | None = None) -> None:
    """A registry of 300 demo invoices, one more user, signed audit checkpoints and uploaded files."""
    ok(
        yanpiao(
            home,
            "demo",
            "--invoices",
            "300",
            "--seed",
            "1",
            "--end-date",
            "2026-06-30",
            database_url=database_url,
        )
    )
    python(home, ADD_USER, database_url)
    ok(yanpiao(home, "audit", "checkpoint", database_url=database_url))
    uploads = home / "uploads" / "2026" / "06"
    uploads.mkdir(parents=True)
    (uploads / "invoice.pdf").write_bytes(b"%PDF-1.7 " + secrets.token_bytes(2000))
    # Big enough for several 1 MB segments, so that whole segments can be cut off.
    (uploads / "photo.jpg").write_bytes(secrets.token_bytes(2 * SEGMENT + 12345))


def restore_leftovers(home: Path) -> list[str]:
    return [entry.name for entry in home.iterdir() if entry.name.startswith((".restore-", ".backup-"))]


def header_length(data: bytes) -> int:
    (length,) = struct.unpack(">I", data[17:21])
    return 17 + 4 + length + 32


def read_backup(data: bytes, master_key: str) -> list[tuple[str, bytes]]:
    """The members of a backup, read by following the file format alone."""
    assert data.startswith(b"YANPIAO-BACKUP 1\n")
    (length,) = struct.unpack(">I", data[17:21])
    keyset = data[21 : 21 + length]
    end = 21 + length + 32
    assert data[21 + length : end] == hashlib.sha256(data[: 21 + length]).digest()
    handle = tink.json_proto_keyset_format.parse_encrypted(
        keyset.decode(), keys.MasterAead(base64.b64decode(master_key)), b"yanpiao backup keyset"
    )
    streaming = handle.primitive(streaming_aead.StreamingAead)
    with streaming.new_decrypting_stream(io.BytesIO(data[end:]), data[:end]) as stream:
        plaintext = gzip.decompress(stream.read())
    with tarfile.open(fileobj=io.BytesIO(plaintext)) as archive:
        return [(member.name, archive.extractfile(member).read()) for member in archive.getmembers()]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A development home (master key in ``master.key``) with a populated SQLite registry, and its backup."""
    folder = tmp_path_factory.mktemp("backup")
    home = folder / "source"
    populate(home)
    path = folder / "registry.backup"
    out = ok(yanpiao(home, "backup", str(path)))
    return {
        "home": home,
        "backup": path,
        "master_key": (home / "master.key").read_text().strip(),
        "tables": tables(home),
        "files": files(home),
        "export": ok(yanpiao(home, "export")),
        "out": out,
    }


@pytest.fixture(scope="module")
def changed(source, tmp_path_factory):
    """A copy of the source home whose registry moved on after the backup; refusals must leave it so."""
    home = tmp_path_factory.mktemp("changed") / "home"
    shutil.copytree(source["home"], home)
    ok(yanpiao(home, "demo", "--invoices", "20", "--seed", "2", "--end-date", "2026-07-31"))
    (home / "uploads" / "later.pdf").write_bytes(b"%PDF-1.7 later")
    state = {"home": home, "tables": tables(home), "files": files(home)}
    assert state["tables"] != source["tables"]
    return state


def test_backup_reports_size_and_tables(source):
    assert source["backup"].stat().st_mode & 0o777 == 0o600
    first, *lines = source["out"].splitlines()
    assert "sqlite database" in first and ("KB" in first or "MB" in first)
    assert any(line.split() == ["registry_invoice", "300"] for line in lines)
    assert not Path(str(source["backup"]) + ".tmp").exists()
    assert restore_leftovers(source["home"]) == []


def test_backup_follows_the_file_format_and_never_holds_the_master_key(source):
    members = read_backup(source["backup"].read_bytes(), source["master_key"])
    names = [name for name, _ in members]
    assert names[0] == "database.sqlite3" and names[-1] == "manifest.json"
    assert {"keys/fields.json", "keys/index.json", "keys/backup.json", "keys/audit-signing.key"} <= set(names)
    assert {"audit/checkpoints.jsonl", "uploads/2026/06/invoice.pdf", "secret_key"} <= set(names)
    assert not any("master.key" in name for name in names)
    content = dict(members)
    manifest = json.loads(content.pop("manifest.json"))
    assert manifest["format"] == 1 and manifest["vendor"] == "sqlite"
    assert manifest["tables"]["registry_invoice"] == 300
    assert manifest["members"] == {
        name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in content.items()
    }
    for name, data in source["files"].items():
        assert content[name] == data
    assert source["master_key"].encode() not in source["backup"].read_bytes()


def test_round_trip_on_a_wiped_machine_with_only_the_master_key(source, tmp_path):
    home = tmp_path / "wiped"
    done = yanpiao(home, "restore", str(source["backup"]), "--yes", YANPIAO_MASTER_KEY=source["master_key"])
    assert "restored the backup of" in ok(done)
    master_key = {"YANPIAO_MASTER_KEY": source["master_key"]}
    assert tables(home, **master_key) == source["tables"]
    assert files(home) == source["files"]
    assert not (home / "master.key").exists()
    assert restore_leftovers(home) == []
    # The restored keysets open the restored data: the encrypted parties decrypt, the audit log verifies.
    assert ok(yanpiao(home, "export", **master_key)) == source["export"]
    assert "audit log intact" in ok(yanpiao(home, "audit", "verify", **master_key))


def test_restore_over_a_registry_that_moved_on(source, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(source["home"], home)
    ok(yanpiao(home, "demo", "--invoices", "20", "--seed", "3", "--end-date", "2026-07-31"))
    (home / "uploads" / "later.pdf").write_bytes(b"%PDF-1.7 later")
    (home / "uploads" / "2026" / "06" / "invoice.pdf").unlink()
    assert tables(home) != source["tables"]
    ok(yanpiao(home, "restore", str(source["backup"]), "--yes"))
    assert tables(home) == source["tables"]
    assert files(home) == source["files"]


def damaged(data: bytes, how: str) -> bytes:
    header = header_length(data)
    if how == "cut last byte":
        return data[:-1]
    if how == "cut last segment":
        whole = (len(data) - header) // SEGMENT
        return data[: header + whole * SEGMENT]
    if how == "cut after one segment":
        return data[: header + SEGMENT]
    if how == "header only":
        return data[:header]
    if how == "cut in the header":
        return data[: header - 10]
    position = {
        "flip in keyset": 100,
        "flip in digest": header - 5,
        "flip in stream": header + SEGMENT + 7,
    }.get(how, len(data) - 1)
    altered = bytearray(data)
    altered[position] ^= 0x01
    return bytes(altered)


DAMAGES = [
    "cut last byte",
    "cut last segment",
    "cut after one segment",
    "header only",
    "cut in the header",
    "flip in keyset",
    "flip in digest",
    "flip in stream",
    "flip last byte",
]


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_or_truncated_file_is_refused_and_nothing_changes(source, changed, tmp_path, how):
    path = tmp_path / "damaged.backup"
    path.write_bytes(damaged(source["backup"].read_bytes(), how))
    done = yanpiao(changed["home"], "restore", str(path), "--yes")
    assert done.returncode == 2, done.stderr
    assert "the backup file is damaged or truncated" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert restore_leftovers(changed["home"]) == []
    assert files(changed["home"]) == changed["files"]
    assert tables(changed["home"]) == changed["tables"]


def test_wrong_master_key_is_refused_and_nothing_changes(source, changed):
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    done = yanpiao(changed["home"], "restore", str(source["backup"]), "--yes", YANPIAO_MASTER_KEY=other)
    assert done.returncode == 2
    assert "the backup was not made with this master key" in done.stderr and "Traceback" not in done.stderr
    assert restore_leftovers(changed["home"]) == []
    assert files(changed["home"]) == changed["files"]
    assert tables(changed["home"]) == changed["tables"]


def test_wrong_master_key_on_a_wiped_machine(source, tmp_path):
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    done = yanpiao(tmp_path / "wiped", "restore", str(source["backup"]), "--yes", YANPIAO_MASTER_KEY=other)
    assert done.returncode == 2 and "not made with this master key" in done.stderr
    assert not (tmp_path / "wiped" / "keys").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not a Yanpiao backup"),
        (b"PK\x03\x04 a zip file, not a backup" * 10, "is not a Yanpiao backup"),
        (b"YANPIAO-BACKUP 9\n" + b"\0" * 100, "of format 9; this version reads format 1"),
        (None, "cannot read"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(changed, tmp_path, content, message):
    path = tmp_path / "not.backup"
    if content is not None:
        path.write_bytes(content)
    done = yanpiao(changed["home"], "restore", str(path), "--yes")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert files(changed["home"]) == changed["files"]


def test_restore_asks_for_confirmation(source, changed):
    done = yanpiao(changed["home"], "restore", str(source["backup"]))  # standard input is not a terminal
    assert done.returncode == 2 and "--yes" in done.stderr
    assert restore_leftovers(changed["home"]) == []
    assert tables(changed["home"]) == changed["tables"]


def test_backup_does_not_overwrite_without_force(source, tmp_path):
    path = tmp_path / "existing.backup"
    path.write_bytes(b"keep me")
    done = yanpiao(source["home"], "backup", str(path))
    assert done.returncode == 2 and "pass --force" in done.stderr
    assert path.read_bytes() == b"keep me"
    ok(yanpiao(source["home"], "backup", str(path), "--force", "--verbosity", "0"))
    assert read_backup(path.read_bytes(), source["master_key"])[0][0] == "database.sqlite3"
    done = yanpiao(source["home"], "backup", str(tmp_path / "no" / "such" / "folder" / "x.backup"))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr


# --- PostgreSQL -------------------------------------------------------------------------------


def postgresql_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def scratch_database():
    """A database of its own (away from pytest-django's), created and dropped here; yields its URL."""
    url = postgresql_url()
    if url is None:
        pytest.skip("DATABASE_URL is not a PostgreSQL URL: the pg_dump/pg_restore path is not tested")
    parts = urlsplit(url)
    name = f"yanpiao_backup_test_{os.getpid()}"
    admin = [
        "-h",
        parts.hostname or "localhost",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    env = dict(os.environ, PGPASSWORD=parts.password or "")

    def run(*command):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def recreate():
        run("dropdb", *admin, "--if-exists", name)
        run("createdb", *admin, name)

    recreate()
    yield (
        urlunsplit(parts._replace(path=f"/{name}")),
        recreate,
        lambda sql: run("psql", *admin, "-d", name, "-c", sql),
    )
    run("dropdb", *admin, "--if-exists", name)


def test_postgresql_round_trip(scratch_database, tmp_path):
    url, recreate, sql = scratch_database
    home = tmp_path / "home"
    populate(home, url)
    path = tmp_path / "registry.backup"
    out = ok(yanpiao(home, "backup", str(path), database_url=url))
    before, before_files = tables(home, url), files(home)
    export = ok(yanpiao(home, "export", database_url=url))
    assert "postgresql database" in out and any(
        line.split() == ["registry_invoice", "300"] for line in out.splitlines()
    )
    master_key = (home / "master.key").read_text().strip()
    assert dict(read_backup(path.read_bytes(), master_key))["database.pgdump"].startswith(b"PGDMP")

    # Over a database that moved on, with a table the backup does not know.
    ok(yanpiao(home, "demo", "--invoices", "20", "--seed", "2", "--end-date", "2026-07-31", database_url=url))
    sql(
        "CREATE TABLE later_feature (id integer PRIMARY KEY,"
        " invoice_id bigint REFERENCES registry_invoice (id))"
    )
    ok(yanpiao(home, "restore", str(path), "--yes", database_url=url))
    assert tables(home, url) == before

    # Refused files leave the database alone.
    for how in ("cut last byte", "flip in stream"):
        (tmp_path / "damaged.backup").write_bytes(damaged(path.read_bytes(), how))
        done = yanpiao(home, "restore", str(tmp_path / "damaged.backup"), "--yes", database_url=url)
        assert done.returncode == 2 and "damaged or truncated" in done.stderr
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    done = yanpiao(home, "restore", str(path), "--yes", database_url=url, YANPIAO_MASTER_KEY=other)
    assert done.returncode == 2 and "not made with this master key" in done.stderr
    assert tables(home, url) == before

    # A wiped machine: an empty database, an empty home, only the master key.
    recreate()
    wiped = tmp_path / "wiped"
    ok(yanpiao(wiped, "restore", str(path), "--yes", database_url=url, YANPIAO_MASTER_KEY=master_key))
    assert tables(wiped, url, YANPIAO_MASTER_KEY=master_key) == before
    assert files(wiped) == before_files
    assert ok(yanpiao(wiped, "export", database_url=url, YANPIAO_MASTER_KEY=master_key)) == export
    assert "audit log intact" in ok(
        yanpiao(wiped, "audit", "verify", database_url=url, YANPIAO_MASTER_KEY=master_key)
    )

    # A PostgreSQL backup does not go into SQLite.
    done = yanpiao(tmp_path / "sqlite", "restore", str(path), "--yes", YANPIAO_MASTER_KEY=master_key)
    assert (
        done.returncode == 2
        and "holds a PostgreSQL database; Yanpiao is configured for SQLite" in done.stderr
    )
