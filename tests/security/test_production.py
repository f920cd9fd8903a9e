"""Production settings: Django's deployment checks pass, and no secret falls back to a default."""

import base64
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

YANPIAO = Path(sys.executable).with_name("yanpiao")


def production(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANPIAO_") and k != "DATABASE_URL"}
    env.update(
        YANPIAO_ENV="production",
        YANPIAO_HOME=str(tmp_path),
        YANPIAO_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
        YANPIAO_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
        YANPIAO_ALLOWED_HOSTS="fapiao.example.cn",
        YANPIAO_SITE_URL="https://fapiao.example.cn",
    )
    env.update(extra)
    return env


def yanpiao(env, *args):
    return subprocess.run([str(YANPIAO), *args], env=env, capture_output=True, text=True, timeout=120)


def test_deployment_checks_pass_at_warning_level(tmp_path):
    result = yanpiao(production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_no_secret_key_no_start(tmp_path):
    env = production(tmp_path)
    del env["YANPIAO_SECRET_KEY"]
    result = yanpiao(env, "check")
    assert result.returncode == 2 and "YANPIAO_SECRET_KEY is required" in result.stderr


def test_no_master_key_no_encryption(tmp_path):
    env = production(tmp_path)
    del env["YANPIAO_MASTER_KEY"]
    result = yanpiao(env, "keys", "status")
    assert result.returncode == 2
    assert "YANPIAO_MASTER_KEY or YANPIAO_MASTER_KEY_FILE is required" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "master.key").exists()


REQUIRED = "YANPIAO_MASTER_KEY or YANPIAO_MASTER_KEY_FILE is required when YANPIAO_ENV=production"


def started(env, *args, timeout=60):
    """Run a command that may serve forever: its result, or None when it was still running."""
    process = subprocess.Popen(
        [str(YANPIAO), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["serve", "runserver", "migrate"])
def test_no_master_key_no_start(tmp_path, command):
    env = production(tmp_path)
    del env["YANPIAO_MASTER_KEY"]
    args = {"serve": ["serve", "--port", free_port()], "runserver": ["runserver", "--noreload", free_port()]}
    result = started(env, *args.get(command, [command]), timeout=20)
    assert result is not None, f"yanpiao {command} started without a master key"
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == f"yanpiao: configuration error: {REQUIRED}"
    assert not (tmp_path / "master.key").exists()


def test_deployment_checks_fail_without_master_key(tmp_path):
    env = production(tmp_path)
    del env["YANPIAO_MASTER_KEY"]
    result = yanpiao(env, "check", "--deploy")
    assert result.returncode != 0
    assert REQUIRED in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_deployment_checks_fail_with_a_wrong_master_key(tmp_path):
    env = production(tmp_path)
    assert yanpiao(env, "keys", "status").returncode == 0  # the keysets are made under this key
    env["YANPIAO_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    result = yanpiao(env, "check", "--deploy")
    assert result.returncode != 0
    assert "does not open" in result.stdout + result.stderr


def key_file(tmp_path, mode) -> Path:
    path = tmp_path / "secrets" / "master.key"
    path.parent.mkdir()
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(mode)
    return path


def test_a_master_key_file_others_can_read_is_refused_in_production(tmp_path):
    path = key_file(tmp_path, 0o644)
    env = production(tmp_path / "home", YANPIAO_MASTER_KEY_FILE=str(path))
    del env["YANPIAO_MASTER_KEY"]
    for args in (["migrate"], ["keys", "status"]):
        result = yanpiao(env, *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.strip() == (
            f"yanpiao: configuration error: YANPIAO_MASTER_KEY_FILE {path} can be read by group or "
            "others (mode 0644): make it readable by its owner only (chmod 600)"
        )
    result = yanpiao(env, "check", "--deploy")
    assert result.returncode != 0 and "chmod 600" in result.stdout + result.stderr
    path.chmod(0o600)
    result = yanpiao(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_master_key_file_others_can_read_is_a_warning_in_development(tmp_path):
    path = key_file(tmp_path, 0o640)
    env = production(tmp_path / "home", YANPIAO_ENV="development", YANPIAO_MASTER_KEY_FILE=str(path))
    del env["YANPIAO_MASTER_KEY"]
    result = yanpiao(env, "keys", "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"YANPIAO_MASTER_KEY_FILE {path} can be read by group or others (mode 0640)" in result.stderr


def test_production_home_open_to_others_is_a_deployment_warning(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    result = yanpiao(production(home), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0 and "chmod 700" in result.stdout + result.stderr


def test_the_wsgi_application_does_not_load_without_master_key(tmp_path):
    env = production(tmp_path, DJANGO_SETTINGS_MODULE="yanpiao.settings")
    del env["YANPIAO_MASTER_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import yanpiao.wsgi"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and f"ImproperlyConfigured: {REQUIRED}" in result.stderr


def test_production_does_not_start_without_a_site_url(tmp_path):
    env = production(tmp_path)
    del env["YANPIAO_SITE_URL"]
    result = yanpiao(env, "check")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "configuration error: YANPIAO_SITE_URL is required" in result.stderr
    env["YANPIAO_SITE_URL"] = "https://fapiao.example.cn"
    assert yanpiao(env, "check").returncode == 0
