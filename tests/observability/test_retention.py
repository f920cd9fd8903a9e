"""The verification history and the log files are kept six months at least, then pruned by a
daily task that deletes only what is past its retention and audits every deletion."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from yanpiao.config import ConfigError
from yanpiao.observability import retention
from yanpiao.observability import settings as observability_settings
from yanpiao.security import audit
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Verification


def checked(days_ago: int) -> Verification:
    return Verification.objects.create(
        channel="web",
        submitted={},
        outcome="not_found",
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def prune_entries():
    return AuditEntry.objects.filter(action=audit.Action.RETENTION_PRUNE).order_by("id")


def test_retention_is_six_months_by_default(monkeypatch):
    monkeypatch.delenv("YANPIAO_HISTORY_RETENTION_DAYS", raising=False)
    assert observability_settings.retention_days("YANPIAO_HISTORY_RETENTION_DAYS") == 183


@pytest.mark.parametrize("value", ["30", "182", "0", "-1"])
def test_a_retention_under_six_months_is_refused(monkeypatch, value):
    monkeypatch.setenv("YANPIAO_LOG_RETENTION_DAYS", value)
    with pytest.raises(ConfigError, match="YANPIAO_LOG_RETENTION_DAYS must be at least 183 days"):
        observability_settings.retention_days("YANPIAO_LOG_RETENTION_DAYS")


def test_a_retention_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("YANPIAO_HISTORY_RETENTION_DAYS", "six months")
    with pytest.raises(ConfigError, match="whole number of days"):
        observability_settings.retention_days("YANPIAO_HISTORY_RETENTION_DAYS")


def test_yanpiao_will_not_start_with_a_short_retention(tmp_path):
    env = {**os.environ, "YANPIAO_HOME": str(tmp_path), "YANPIAO_HISTORY_RETENTION_DAYS": "90"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "yanpiao"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "YANPIAO_HISTORY_RETENTION_DAYS must be at least 183 days" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_prune_deletes_only_the_history_past_its_retention_and_audits_each_chunk(db, settings):
    settings.YANPIAO_HISTORY_RETENTION_DAYS = 200
    old = [checked(400), checked(300), checked(201)]
    kept = [checked(199), checked(10), checked(0)]
    assert retention.prune_history(chunk=2) == 3
    assert set(Verification.objects.values_list("id", flat=True)) == {v.id for v in kept}
    entries = list(prune_entries())
    assert [e.detail["count"] for e in entries] == [2, 1]
    assert {e.detail["kind"] for e in entries} == {"verification"}
    assert [entries[0].detail["first_id"], entries[1].detail["last_id"]] == [old[0].id, old[2].id]
    assert entries[0].detail["retention_days"] == 200


def test_nothing_past_its_retention_means_nothing_deleted_and_nothing_audited(db):
    checked(100)
    assert retention.prune_expired() == retention.Pruned(verifications=0, log_files=0)
    assert Verification.objects.count() == 1 and not prune_entries().exists()


def test_log_files_past_their_retention_are_deleted_and_the_deletion_audited(db, own_keysets):
    logs = own_keysets / "logs"
    (logs / "2025").mkdir(parents=True)
    old, recent = logs / "2025" / "web.log.1", logs / "web.log"
    old.write_text("old\n")
    recent.write_text("recent\n")
    long_ago = (timezone.now() - datetime.timedelta(days=190)).timestamp()
    os.utime(old, (long_ago, long_ago))
    assert retention.prune_log_files() == 1
    assert not old.exists() and recent.exists()
    [entry] = prune_entries()
    assert entry.detail["kind"] == "log_file" and entry.detail["count"] == 1


def test_the_audit_log_is_never_pruned(db, settings):
    audit.record(audit.Action.RETENTION_PRUNE, None, "logs", {"kind": "log_file", "count": 0})
    AuditEntry.objects.filter(action=audit.Action.RETENTION_PRUNE).update()
    before = AuditEntry.objects.count()
    checked(400)
    retention.prune_expired()
    assert AuditEntry.objects.count() == before + 1  # only the prune's own entry is added


def test_the_worker_queues_one_prune_a_day(db, settings):
    assert "yanpiao.observability.retention.schedule" in settings.YANPIAO_PERIODIC_TASKS
    assert retention.schedule()
    assert not retention.schedule()


def test_the_task_prunes_and_returns_its_counts(db):
    checked(365)
    assert retention.prune.call() == {"verifications": 1, "log_files": 0}
