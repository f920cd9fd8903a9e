"""Settings read from the environment, strictly: a malformed value stops start-up with a message.

Kept apart from ``settings.py`` so that the CLI can prepare ``YANPIAO_HOME`` and report
configuration mistakes before Django starts.
"""

import contextlib
import os
import secrets
from pathlib import Path


class ConfigError(Exception):
    """An environment variable holds a value Yanpiao cannot use."""


ENVIRONMENTS = ("development", "production", "test")


def environment() -> str:
    value = os.environ.get("YANPIAO_ENV", "development").strip().lower()
    if value not in ENVIRONMENTS:
        raise ConfigError(f"YANPIAO_ENV must be one of {', '.join(ENVIRONMENTS)}, not {value!r}")
    return value


def home() -> Path:
    """The data folder (SQLite file, keys, uploads); created on first use, readable by its owner only."""
    path = Path(os.environ.get("YANPIAO_HOME", "var")).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"YANPIAO_HOME={path} exists and is not a folder")
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        pass  # an existing folder keeps its mode (`yanpiao check --deploy` warns when it is open)
    else:
        path.chmod(0o700)  # whatever the umask
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (before a library creates it 0644)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def boolean(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def integer(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def secret_key(data_home: Path, env: str) -> str:
    """``YANPIAO_SECRET_KEY``; in development it is generated once into ``YANPIAO_HOME``."""
    value = os.environ.get("YANPIAO_SECRET_KEY", "").strip()
    if value:
        if len(value) < 32:
            raise ConfigError("YANPIAO_SECRET_KEY must be at least 32 characters long")
        return value
    if env == "production":
        raise ConfigError("YANPIAO_SECRET_KEY is required when YANPIAO_ENV=production")
    path = data_home / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEVELOPMENT_SITE_URL = "http://127.0.0.1:8000"


def site_url(env: str) -> str:
    """``YANPIAO_SITE_URL``, the address links in mail and text messages start with (no trailing
    ``/``): never taken from a request's ``Host``.  Required, and ``https://``, in production."""
    from urllib.parse import urlsplit

    raw = os.environ.get("YANPIAO_SITE_URL", "").strip()
    if not raw:
        if env == "production":
            raise ConfigError(
                "YANPIAO_SITE_URL is required when YANPIAO_ENV=production "
                "(the site's public address, e.g. https://fapiao.example.cn, for links in mail)"
            )
        return DEVELOPMENT_SITE_URL
    try:
        parts = urlsplit(raw)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.username
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"YANPIAO_SITE_URL must be an http:// or https:// address such as https://fapiao.example.cn, not {raw!r}"
        )
    if env == "production" and parts.scheme != "https":
        raise ConfigError("YANPIAO_SITE_URL must start with https:// when YANPIAO_ENV=production")
    return raw.rstrip("/")


def database(data_home: Path) -> dict:
    """``DATABASE_URL`` (PostgreSQL or SQLite) or, by default, ``YANPIAO_HOME/yanpiao.sqlite3``."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        # Connections are kept between requests (a minute), as for DATABASE_URL: opening one costs
        # more than a whole verification.
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data_home / "yanpiao.sqlite3"),
            "CONN_MAX_AGE": 60,
        }
        # SQLite gives the -wal and -shm files the mode of the database file: 0600 for all three.
        private_file(data_home / "yanpiao.sqlite3")
    else:
        try:
            config = dj_database_url.parse(url, conn_max_age=60)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"DATABASE_URL is not a database URL Yanpiao understands: {exc}") from None
        if config["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
            raise ConfigError("DATABASE_URL must point to PostgreSQL (postgres://…) or SQLite (sqlite:///…)")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; NORMAL sync is safe in WAL mode.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config
