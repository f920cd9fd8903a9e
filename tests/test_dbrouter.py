"""The read-replica router: reads outside a transaction go to the replica when one is configured."""

import os
import subprocess
import sys

import pytest
from django.db import transaction

from yanpiao import dbrouter
from yanpiao.registry.models import Invoice
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")
PRIMARY = {"ENGINE": "django.db.backends.postgresql", "NAME": "yanpiao", "CONN_MAX_AGE": 60, "OPTIONS": {}}


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}


def test_without_a_replica_reads_and_writes_go_to_the_primary():
    assert Invoice.objects.all().db == "default"
    assert Invoice.objects.db_manager().db == "default"
    assert dbrouter.ReplicaRouter().db_for_read(Invoice) is None


def test_with_a_replica_a_read_outside_a_transaction_goes_to_the_replica(with_replica):
    assert Invoice.objects.all().db == "replica"
    assert Verification.objects.filter(pk=1).db == "replica"


def test_with_a_replica_writes_still_go_to_the_primary(with_replica):
    router = dbrouter.ReplicaRouter()
    assert router.db_for_write(Invoice) == "default"
    assert Invoice.objects.select_for_update().db == "default"


@pytest.mark.django_db
def test_with_a_replica_a_read_inside_a_transaction_stays_on_the_primary(with_replica):
    with transaction.atomic():
        assert Invoice.objects.all().db == "default"


def test_migrations_run_on_the_primary_only():
    router = dbrouter.ReplicaRouter()
    assert router.allow_migrate("default", "registry")
    assert not router.allow_migrate("replica", "registry")


def test_the_replica_entry_is_the_primary_with_the_replica_address_in_read_only_transactions():
    entry = dbrouter.replica_database("postgres://reader@10.0.0.2:5433/yanpiao", PRIMARY)
    assert (entry["HOST"], entry["PORT"], entry["USER"], entry["NAME"]) == (
        "10.0.0.2",
        5433,
        "reader",
        "yanpiao",
    )
    assert entry["OPTIONS"]["options"] == "-c default_transaction_read_only=on"
    assert entry["TEST"] == {"MIRROR": "default"}
    assert entry["CONN_MAX_AGE"] == 60


@pytest.mark.parametrize(
    ("url", "primary"),
    [
        ("sqlite:////tmp/replica.sqlite3", PRIMARY),
        ("postgres://reader@10.0.0.2/yanpiao", {**PRIMARY, "ENGINE": "django.db.backends.sqlite3"}),
        ("mysql://reader@10.0.0.2/yanpiao", PRIMARY),
    ],
)
def test_a_replica_that_is_not_postgresql_beside_postgresql_is_refused(url, primary):
    with pytest.raises(ValueError, match="YANPIAO_REPLICA_URL"):
        dbrouter.replica_database(url, primary)


def test_a_replica_url_beside_sqlite_stops_start_up_with_a_one_line_message(tmp_path):
    environment = {
        **os.environ,
        "YANPIAO_HOME": str(tmp_path),
        "YANPIAO_REPLICA_URL": "postgres://reader@10.0.0.2/yanpiao",
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "import yanpiao.settings"], env=environment, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "ConfigError: YANPIAO_REPLICA_URL must be a postgres:// URL" in done.stderr
