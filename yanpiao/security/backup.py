"""Encrypted backups: one file holds the database, the keysets and the uploaded files.

A backup can be restored on a wiped machine that has only the master key.  The file is::

    b"YANPIAO-BACKUP 1\\n"
    4 bytes, big-endian: the length N of the keyset
    N bytes: the ``backup`` keyset, encrypted under the master key
             (Tink JSON, associated data b"yanpiao backup keyset")
    32 bytes: sha256 of everything above (tells a damaged header from a wrong master key)
    the rest: Tink streaming AEAD (AES-256-GCM-HKDF, 1 MB segments) under that keyset, with
              everything above as associated data, of a gzip-compressed tar holding
                  database.sqlite3  (SQLite online backup) or database.pgdump (pg_dump --format=custom)
                  keys/…            (every keyset file; never master.key)
                  audit/…, uploads/…, secret_key   (those present)
                  manifest.json     (last: format, time, vendor, row counts, size and sha256 of each member)

:func:`write` takes a consistent snapshot (the SQLite backup API; on PostgreSQL ``pg_dump``
inside an exported snapshot, so the row counts match the dump).  :func:`check` decrypts the
whole file into a private folder inside ``YANPIAO_HOME`` and checks it — every segment and
the end are authenticated, the members match the manifest — before anything is replaced;
:meth:`Checked.install` then replaces the database, the keysets and the files.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import struct
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import tink
from django.db import connection, connections
from tink import streaming_aead

from yanpiao.security import keys

FORMAT = 1
MAGIC = b"YANPIAO-BACKUP %d\n" % FORMAT
_MAGIC_PREFIX = b"YANPIAO-BACKUP "
KEYSET_ASSOCIATED_DATA = b"yanpiao backup keyset"
_LENGTH = struct.Struct(">I")
_DIGEST = 32
_MAX_KEYSET = 1 << 20
_CHUNK = 1 << 20
# gzip level 1: most of the gain (a SQLite registry shrinks about 3.5 times) at disk speed.
COMPRESSION = 1

DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FOLDERS = ("keys", "audit", "uploads")
FILES = ("secret_key",)
MANIFEST = "manifest.json"
_TOP_LEVEL = {*DATABASE_MEMBERS.values(), *FOLDERS, *FILES, MANIFEST}
_WORKDIR = re.compile(r"^\.(backup|restore)-(\d+)-")

DAMAGED = "the backup file is damaged or truncated"
WRONG_KEY = "the backup was not made with this master key"


class BackupError(Exception):
    """A backup cannot be written, or a file cannot be restored; the message says why in one line."""


@dataclass
class Summary:
    """What :func:`write` wrote."""

    path: Path
    size: int
    seconds: float
    vendor: str
    tables: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- writing ----------------------------------------------------------------------------------


def write(path: str | os.PathLike, force: bool = False) -> Summary:
    """Write an encrypted backup of the database, keysets and files to ``path``."""
    started = time.perf_counter()
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder")
    if path.exists() and not force:
        raise BackupError(f"{path} exists; pass --force to replace it")
    handle = keys.keyset("backup")
    header = _header(
        tink.json_proto_keyset_format.serialize_encrypted(
            handle, keys.master_aead(), KEYSET_ASSOCIATED_DATA
        ).encode()
    )
    streaming = handle.primitive(streaming_aead.StreamingAead)
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"cannot back up a {vendor} database")
    temporary = path.with_name(path.name + ".tmp")
    workdir = _workdir("backup")
    try:
        snapshot = workdir / DATABASE_MEMBERS[vendor]
        tables = _snapshot_sqlite(snapshot) if vendor == "sqlite" else _snapshot_postgresql(snapshot)
        # The keysets are read after the snapshot: keys are only ever added, so every value in
        # the snapshot decrypts with them.
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise BackupError(f"cannot write {temporary}: {exc.strerror}") from None
        try:
            with os.fdopen(descriptor, "wb") as output:
                output.write(header)
                with streaming.new_encrypting_stream(output, header) as encrypted:
                    _write_archive(encrypted, snapshot, vendor, tables)
            _fsync(temporary)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise BackupError(f"cannot back up to {path}: {where}{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return Summary(path, path.stat().st_size, time.perf_counter() - started, vendor, tables)


def _header(encrypted_keyset: bytes) -> bytes:
    head = MAGIC + _LENGTH.pack(len(encrypted_keyset)) + encrypted_keyset
    return head + hashlib.sha256(head).digest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class _Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _write_archive(encrypted, snapshot: Path, vendor: str, tables: dict[str, int]) -> None:
    members: dict[str, dict] = {}
    with (
        gzip.GzipFile(fileobj=encrypted, mode="wb", compresslevel=COMPRESSION, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w|", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name, source in _members(snapshot):
            members[name] = _add(archive, name, source)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "yanpiao": _version(),
            "vendor": vendor,
            "database": snapshot.name,
            "tables": tables,
            "members": members,
        }
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        info = _tarinfo(MANIFEST, len(data), time.time())
        archive.addfile(info, _Hashing(_BytesReader(data)))


def _members(snapshot: Path):
    """(name in the archive, file) of everything a backup holds, the database first."""
    home = keys.home()
    yield snapshot.name, snapshot
    for folder in FOLDERS:
        root = home / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(home)
            if any(part.startswith(".") for part in relative.parts):  # half-written temporary files
                continue
            if path.is_file() and not path.is_symlink():
                yield relative.as_posix(), path
    for name in FILES:
        if (home / name).is_file():
            yield name, home / name


def _tarinfo(name: str, size: int, mtime: float, mode: int = 0o600) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = mode
    return info


def _add(archive: tarfile.TarFile, name: str, path: Path) -> dict:
    with path.open("rb") as stream:
        status = os.fstat(stream.fileno())
        reader = _Hashing(stream)
        archive.addfile(_tarinfo(name, status.st_size, status.st_mtime, stat.S_IMODE(status.st_mode)), reader)
    return {"size": reader.size, "sha256": reader.sha256.hexdigest()}


class _BytesReader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)

    def read(self, size: int = -1) -> bytes:
        size = len(self.data) if size < 0 else size
        chunk, self.data = self.data[:size], self.data[size:]
        return bytes(chunk)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("yanpiao")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- database snapshots -----------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(database: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: database.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0] for name in names}  # nosec B608  # table names read from the database's own catalogue, quoted by _quote


def _snapshot_sqlite(target: Path) -> dict[str, int]:
    """A consistent copy of the live database (SQLite online backup), and its row counts."""
    connection.ensure_connection()
    snapshot = sqlite3.connect(target)
    try:
        connection.connection.backup(snapshot)
        snapshot.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _sqlite_counts(snapshot)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot take a snapshot of {connection.settings_dict['NAME']}: {exc}") from None
    finally:
        snapshot.close()


_VISIBLE_TABLES = (
    "SELECT c.relname FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg_toast%%' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY c.relname"
)


def _postgresql_counts(cursor) -> dict[str, int]:
    cursor.execute(_VISIBLE_TABLES)
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f"SELECT count(*) FROM {_quote(name)}")  # nosec B608  # table names read from the database's own catalogue, quoted by _quote
        counts[name] = cursor.fetchone()[0]
    return counts


_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def _pg_environment() -> dict[str, str]:
    """The environment that points ``pg_dump``, ``pg_restore`` and ``psql`` at the configured database."""
    settings = connection.settings_dict
    environment = dict(os.environ)  # libpq reads PG* variables, as Django's own connection does
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),  # in the environment, not on a command line others can read
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if settings.get(key):
            environment[variable] = str(settings[key])
    for option, variable in _LIBPQ_OPTIONS.items():
        if settings.get("OPTIONS", {}).get(option):
            environment[variable] = str(settings["OPTIONS"][option])
    return environment


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client tools)")
    return found


def _failure(name: str, done: subprocess.CompletedProcess | subprocess.Popen, stderr: bytes) -> BackupError:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return BackupError(f"{name} failed: {lines[-1] if lines else f'exit status {done.returncode}'}")


def _snapshot_postgresql(target: Path) -> dict[str, int]:
    """``pg_dump`` of the configured database inside an exported snapshot, and its row counts."""
    pg_dump = _tool("pg_dump")
    raw = connection.Database.connect(**connection.get_connection_params())
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_catalog.pg_export_snapshot()")
            exported = cursor.fetchone()[0]
            tables = _postgresql_counts(cursor)
            done = subprocess.run(
                [pg_dump, "--format=custom", "--no-owner", f"--snapshot={exported}", f"--file={target}"],
                env=_pg_environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
            )
            if done.returncode != 0:
                raise _failure("pg_dump", done, done.stderr)
        raw.rollback()
    finally:
        raw.close()
    return tables


# --- checking and restoring -------------------------------------------------------------------


def _workdir(purpose: str) -> Path:
    """A private folder inside ``YANPIAO_HOME`` (plaintext never leaves it); stale ones are removed."""
    home = keys.home()
    for entry in home.iterdir():
        found = _WORKDIR.match(entry.name)
        if found and entry.is_dir() and not _alive(int(found.group(2))):
            shutil.rmtree(entry, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f".{purpose}-{os.getpid()}-", dir=home))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


@dataclass
class Checked:
    """A backup decrypted into a private folder and checked; :meth:`install` puts it in place."""

    path: Path
    workdir: Path
    manifest: dict
    files: dict[str, _Unpacked]

    @property
    def created_at(self) -> str:
        return self.manifest["created_at"]

    @property
    def tables(self) -> dict[str, int]:
        return self.manifest["tables"]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def install(self) -> None:
        """Replace the database, then the keysets, audit checkpoints, uploads and secret key."""
        database = self.files[self.manifest["database"]].path
        if self.manifest["vendor"] == "sqlite":
            _install_sqlite(database)
        else:
            _install_postgresql(database, self.tables)
        self._install_files()
        keys.forget()

    def _install_files(self) -> None:
        home = keys.home()
        previous = self.workdir / "previous"
        previous.mkdir()
        unpacked = self.workdir / "files"
        for name in (*FOLDERS, *FILES):
            current = home / name
            try:
                if current.exists() or current.is_symlink():
                    os.replace(current, previous / name)
                if (unpacked / name).exists():
                    os.replace(unpacked / name, current)
            except OSError as exc:
                raise BackupError(f"cannot replace {current}: {exc.strerror}") from None
        if (home / "keys").is_dir():
            os.chmod(home / "keys", 0o700)

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def check(path: str | os.PathLike) -> Checked:
    """Decrypt and check the backup ``path`` completely; nothing in place is touched.

    Raises :class:`BackupError` for a file that is not a backup, a wrong master key, a damaged
    or truncated file, or a backup of another kind of database than the configured one.
    """
    path = Path(path)
    try:
        source = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with source:
        header = _read_header(path, source)
        streaming = _streaming_primitive(path, header)
        workdir = _workdir("restore")
        try:
            files = _unpack(path, streaming.new_decrypting_stream(source, header), workdir / "files")
            manifest = _manifest(path, files)
            checked = Checked(path, workdir, manifest, files)
            _check_database(path, checked)
            _check_keysets(path, files)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
    return checked


def restore(path: str | os.PathLike) -> Checked:
    """Check the backup ``path`` completely, then put it in place."""
    checked = check(path)
    try:
        checked.install()
    finally:
        checked.discard()
    return checked


def _read_header(path: Path, source) -> bytes:
    start = source.read(len(MAGIC))
    if not start.startswith(_MAGIC_PREFIX[: len(start)]) or len(start) < len(_MAGIC_PREFIX):
        raise BackupError(f"{path} is not a Yanpiao backup")
    if start != MAGIC:
        line = (start + source.read(16)).split(b"\n")[0]
        version = line[len(_MAGIC_PREFIX) :].decode(errors="replace")
        raise BackupError(
            f"{path} is a Yanpiao backup of format {version}; this version reads format {FORMAT}"
        )
    length_bytes = source.read(_LENGTH.size)
    if len(length_bytes) < _LENGTH.size:
        raise BackupError(f"{path}: {DAMAGED}")
    (length,) = _LENGTH.unpack(length_bytes)
    if length > _MAX_KEYSET:
        raise BackupError(f"{path}: {DAMAGED}")
    keyset = source.read(length)
    digest = source.read(_DIGEST)
    head = start + length_bytes + keyset
    if len(keyset) < length or digest != hashlib.sha256(head).digest():
        raise BackupError(f"{path}: {DAMAGED}")
    return head + digest


def _streaming_primitive(path: Path, header: bytes) -> streaming_aead.StreamingAead:
    start = len(MAGIC) + _LENGTH.size
    encrypted_keyset = header[start:-_DIGEST].decode(errors="replace")
    try:
        handle = tink.json_proto_keyset_format.parse_encrypted(
            encrypted_keyset, keys.master_aead(), KEYSET_ASSOCIATED_DATA
        )
        return handle.primitive(streaming_aead.StreamingAead)
    except tink.TinkError:
        raise BackupError(f"{path}: {WRONG_KEY}") from None


def _safe_name(name: str) -> str | None:
    """The member's name if it is one a backup holds (no absolute paths, no ``..``)."""
    parts = PurePosixPath(name).parts
    if not parts or parts[0] not in _TOP_LEVEL or name.startswith("/") or ".." in parts or "\\" in name:
        return None
    return "/".join(parts)


@dataclass
class _Unpacked:
    """A member decrypted to disk, with what was read."""

    path: Path
    size: int
    sha256: str


def _unpack(path: Path, decrypted, folder: Path) -> dict[str, _Unpacked]:
    """Decrypt the whole stream into ``folder``, hashing every member."""
    files: dict[str, _Unpacked] = {}
    folder.mkdir(mode=0o700)
    try:
        with (
            decrypted,
            gzip.GzipFile(fileobj=decrypted, mode="rb") as compressed,
            tarfile.open(fileobj=compressed, mode="r|") as archive,
        ):
            for member in archive:
                name = _safe_name(member.name)
                if member.isdir() and name:
                    continue
                if not member.isfile() or name is None or name in files:
                    raise BackupError(f"{path}: {DAMAGED}")
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                size = 0
                stream = archive.extractfile(member)
                with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as output:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        output.write(chunk)
                os.chmod(target, member.mode & 0o755)
                files[name] = _Unpacked(target, size, digest.hexdigest())
            # Read to the very end: the last segment proves that nothing was cut off.
            while compressed.read(_CHUNK):
                pass
            while decrypted.read(_CHUNK):
                pass
    except (tink.TinkError, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{path}: {DAMAGED}") from exc
    return files


def _manifest(path: Path, files: dict[str, _Unpacked]) -> dict:
    """The manifest, once every member is found to be exactly the one it lists."""
    damaged = BackupError(f"{path}: {DAMAGED}")
    if MANIFEST not in files:
        raise damaged
    try:
        manifest = json.loads(files.pop(MANIFEST).path.read_bytes())
        listed = manifest["members"]
        database = manifest["database"]
        vendor = manifest["vendor"]
        tables = manifest["tables"]
    except (ValueError, KeyError, TypeError):
        raise damaged from None
    if (
        manifest.get("format") != FORMAT
        or set(listed) != set(files)
        or DATABASE_MEMBERS.get(vendor) != database
    ):
        raise damaged
    if database not in files or not isinstance(tables, dict):
        raise damaged
    for name, member in files.items():
        if listed[name] != {"size": member.size, "sha256": member.sha256}:
            raise damaged
    return manifest


def _check_database(path: Path, checked: Checked) -> None:
    vendor = checked.manifest["vendor"]
    if vendor != connection.vendor:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{path} holds a {names[vendor]} database; Yanpiao is configured for "
            f"{names.get(connection.vendor, connection.vendor)}"
        )
    database = checked.files[checked.manifest["database"]].path
    if vendor == "sqlite":
        try:
            snapshot = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
            try:
                counts = _sqlite_counts(snapshot)
            finally:
                snapshot.close()
        except sqlite3.DatabaseError:
            raise BackupError(f"{path}: {DAMAGED}") from None
        if counts != checked.tables:
            raise BackupError(f"{path}: {DAMAGED}")
    else:
        done = subprocess.run(
            [_tool("pg_restore"), "--list", str(database)], stdin=subprocess.DEVNULL, capture_output=True
        )
        if done.returncode != 0:
            raise BackupError(f"{path}: {DAMAGED}")


def _check_keysets(path: Path, files: dict[str, _Unpacked]) -> None:
    """Every keyset in the backup must open with the master key in use, or restoring would lose data."""
    for name in keys.TEMPLATES:
        member = files.get(f"keys/{name}.json")
        if member is None:
            continue
        try:
            tink.json_proto_keyset_format.parse_encrypted(
                member.path.read_text(), keys.master_aead(), keys._associated_data(name)
            )
        except (tink.TinkError, UnicodeDecodeError):
            raise BackupError(
                f"{path}: the keyset {name} in the backup does not open with this master key"
            ) from None


def _install_sqlite(snapshot: Path) -> None:
    """Copy the snapshot into the live database with the online backup API: one atomic step.

    Unlike replacing the file, this keeps the file other processes have open (and its WAL)
    consistent: they see the old database or the restored one, never a mixture.
    """
    source = sqlite3.connect(f"{snapshot.as_uri()}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore into {connection.settings_dict['NAME']}: {exc}") from None
    finally:
        source.close()


def _install_postgresql(dump: Path, tables: dict[str, int]) -> None:
    """Replace every table of the configured database with the dump, in one transaction."""
    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute(_VISIBLE_TABLES)
        present = [row[0] for row in cursor.fetchall()]
    connections.close_all()
    environment = _pg_environment()
    # A server still connected would make the restore wait; give up rather than hang.
    environment["PGOPTIONS"] = (environment.get("PGOPTIONS", "") + " -c lock_timeout=60s").strip()
    command = [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
    if present:
        # Tables made after the backup (by a newer migration) go too: the database becomes the dump.
        command += ["-c", f"DROP TABLE IF EXISTS {', '.join(map(_quote, present))} CASCADE"]
    command += ["-f", "-"]
    with tempfile.TemporaryFile() as script_errors:
        script = subprocess.Popen(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--file=-",
                str(dump),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=script_errors,
        )
        applied = subprocess.run(
            command, env=environment, stdin=script.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        script.stdout.close()
        script.wait()
        if script.returncode != 0:
            script_errors.seek(0)
            raise _failure("pg_restore", script, script_errors.read())
    if applied.returncode != 0:
        raise _failure("psql", applied, applied.stderr)
    with connection.cursor() as cursor:
        restored = _postgresql_counts(cursor)
    if restored != tables:
        raise BackupError("the restored database does not hold the rows the backup lists")
