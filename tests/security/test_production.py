"""Production settings: Django's deployment checks pass, and no secret falls back to a default."""

import base64
import os
import subprocess
import sys
from pathlib import Path

YANPIAO = Path(sys.executable).with_name("yanpiao")


def production(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YANPIAO_") and k != "DATABASE_URL"}
    env.update(
        YANPIAO_ENV="production",
        YANPIAO_HOME=str(tmp_path),
        YANPIAO_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
        YANPIAO_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
        YANPIAO_ALLOWED_HOSTS="fapiao.example.cn",
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
