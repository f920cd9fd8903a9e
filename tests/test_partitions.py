"""The history and the audit log are partitioned by month on PostgreSQL, made ahead and dropped by whole months."""

import base64
import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import factories
from yanpiao import partitions
from yanpiao.feedback.models import Rating
from yanpiao.registry import lookup
from yanpiao.registry import services as registry
from yanpiao.registry.models import Invoice
from yanpiao.security import audit, keys, triggers
from yanpiao.security.models import AuditEntry
from yanpiao.verification.models import Verification

HISTORY, AUDIT, REGISTRY = "verification_verification", "security_auditentry", "registry_invoice"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="declarative partitioning is PostgreSQL's; SQLite tables stay plain",
)


@pytest.fixture
def home(settings, tmp_path, monkeypatch):
    """A data folder of its own, under the session's master key (as tests/security's)."""
    monkeypatch.setenv("YANPIAO_MASTER_KEY", base64.b64encode(keys.master_key()).decode())
    settings.HOME = tmp_path
    keys.forget()
    yield tmp_path
    keys.forget()


def check(at=None, **fields):
    return Verification.objects.create(
        channel="cli", submitted={}, outcome="authentic", created_at=at or timezone.now(), **fields
    )


def partition_of(table, id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [id])  # nosec B608  # a test's constant
        return cursor.fetchone()[0]


def audit_row(at, lane=200, seq=1):
    """An entry written by hand into a lane of its own (the test's transaction rolls it back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AUDIT} (id, at, action, target, detail, previous_hash, entry_hash, lane, seq) "
            "VALUES (nextval('security_auditentry_id_seq'), %s, 'test', '', '{}', '', '', %s, %s) RETURNING id",
            [at, lane, seq],
        )
        return cursor.fetchone()[0]


def utc(year, month, day):
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)


@postgresql_only
@pytest.mark.django_db
class TestOnPostgreSQL:
    def test_the_history_and_the_audit_log_are_partitioned_by_month(self):
        assert partitions.partitioned_tables() == {HISTORY: "created_at", AUDIT: "at"}
        names = [p.name for p in partitions.partitions(HISTORY)]
        assert f"{HISTORY}_p{timezone.now():%Y_%m}" in names and names[-1] == f"{HISTORY}_default"

    def test_a_check_made_now_lands_in_this_months_partition(self):
        assert partition_of(HISTORY, check().id) == f"{HISTORY}_p{timezone.now():%Y_%m}"

    def test_a_check_dated_in_a_month_without_partition_lands_in_the_default_one(self):
        assert partition_of(HISTORY, check(utc(2040, 1, 15)).id) == f"{HISTORY}_default"

    def test_the_database_keys_include_the_month_but_django_keeps_id(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('p', 'u') ORDER BY conname",
                [HISTORY],
            )
            assert cursor.fetchall() == [
                (f"{HISTORY}_pkey", "PRIMARY KEY (id, created_at)"),
                (f"{HISTORY}_public_id_key", "UNIQUE (public_id, created_at)"),
            ]
        assert Verification._meta.pk.name == "id" and Verification._meta.get_field("public_id").unique

    def test_ensure_partitions_creates_months_ahead_once(self):
        created = partitions.ensure_partitions(months_ahead=2, today=datetime.date(2031, 11, 20))
        months = ["2031_11", "2031_12", "2032_01"]
        tables = partitions.partitioned_tables()
        assert created == [f"{table}_p{month}" for table in tables for month in months]
        assert partitions.ensure_partitions(months_ahead=2, today=datetime.date(2031, 11, 20)) == []
        assert partition_of(HISTORY, check(utc(2032, 1, 31)).id) == f"{HISTORY}_p2032_01"

    def test_a_month_whose_rows_wait_in_the_default_partition_is_created_and_they_move_into_it(self):
        stranded = check(utc(2035, 2, 10))
        entry = audit_row(utc(2035, 2, 11))
        assert partition_of(HISTORY, stranded.id) == f"{HISTORY}_default"

        assert f"{HISTORY}_p2035_02" in partitions.ensure_partitions(
            months_ahead=0, today=datetime.date(2035, 2, 1)
        )

        assert partition_of(HISTORY, stranded.id) == f"{HISTORY}_p2035_02"
        assert partition_of(AUDIT, entry) == f"{AUDIT}_p2035_02"
        assert (
            partitions.partitions(HISTORY)[-1].bounds == partitions.partitions(AUDIT)[-1].bounds == "DEFAULT"
        )
        assert triggers.problems(connection) == []

    def test_an_audit_entry_cannot_be_replaced_by_an_upsert_on_the_new_key(self):
        entry = audit_row(timezone.now())
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"INSERT INTO {AUDIT} SELECT * FROM {AUDIT} WHERE id = %s "  # nosec B608  # a test's constant
                "ON CONFLICT (id, at) DO UPDATE SET target = 'forged'",
                [entry],
            )

    def test_a_second_audit_entry_at_a_lane_position_is_named_by_verify(self, home):
        # (lane, seq) is unique only with the month now: writers hold their lane's lock, and verify() names a repeat.
        from tests.security.test_audit_lanes import append

        append(1)
        taken = AuditEntry.objects.get(id=append(1)).seq
        repeat = append(1, seq=taken)
        report = audit.verify()
        assert not report.ok and report.first_bad_id == repeat

    def test_two_audit_entries_that_share_an_id_are_named_by_verify(self, home):
        # The key is (id, at) now: the database takes a repeated id, verify() names it.
        from tests.security.test_audit_lanes import append

        first = append(1)
        append(2, id=first)
        report = audit.verify()
        assert not report.ok and report.first_bad_id == first
        assert report.reason == f"audit entry {first} was written twice: two entries share its id"

    def test_every_audit_partition_refuses_update_delete_and_truncate(self):
        partitions.ensure_partitions(months_ahead=0, today=datetime.date(2036, 3, 1))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = %s::regclass ORDER BY 1",
                [f"{AUDIT}_p2036_03"],
            )
            names = [name for (name,) in cursor.fetchall()]
        assert names == [f"{AUDIT}_no_delete", f"{AUDIT}_no_truncate", f"{AUDIT}_no_update"]

    def test_a_trigger_switched_off_on_one_audit_partition_is_named_and_migrate_mends_it(self, home):
        partitions.ensure_partitions(months_ahead=0, today=datetime.date(2036, 4, 1))
        month = f"{AUDIT}_p2036_04"
        entry = audit_row(utc(2036, 4, 2))
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {month} DISABLE TRIGGER {AUDIT}_no_delete")
            cursor.execute(f"DROP TRIGGER {AUDIT}_no_truncate ON {month}")

        assert [str(problem) for problem in triggers.problems(connection)] == [
            f"the trigger {AUDIT}_no_delete on {month} is disabled: run yanpiao migrate",
            f"the trigger {AUDIT}_no_truncate on {month} is missing: run yanpiao migrate",
        ]
        call_command("migrate", verbosity=0)

        assert triggers.problems(connection) == []
        for statement, params in (
            (f"DELETE FROM {AUDIT} WHERE id = %s", [entry]),
            (f"TRUNCATE {month}", None),
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, params)

    def test_an_entry_in_a_held_lane_reads_only_the_months_it_can_be_in(self, home, settings):
        settings.YANPIAO_AUDIT_HELD_LANES = 32
        for month in (1, 2):  # months kept from before
            partitions.ensure_partitions(months_ahead=0, today=datetime.date(2024, month, 1))
        audit.record(audit.Action.VERIFICATION_CREATE)  # the lane taken, its head read, ids reserved
        held = audit._written(connection)
        condition, parameters = audit._lane_still_at(held, held.ids[-1])
        row = [held.ids[-1], timezone.now(), None, "test", "", "{}", held.hash, "", held.lane, held.seq + 1]

        with connection.cursor() as cursor:  # the statement of the next entry, planned
            cursor.execute(
                f"EXPLAIN (FORMAT JSON) {audit._insert_sql('postgresql', condition)}", row + parameters
            )
            plan = json.dumps(cursor.fetchone()[0])

        read = set(re.findall(rf'"Relation Name": "({AUDIT}_[a-z0-9_]+)"', plan))
        assert read and not read & {f"{AUDIT}_p2024_01", f"{AUDIT}_p2024_02"}
        this_month = timezone.now().date().replace(day=1)
        assert all(
            name == f"{AUDIT}_default" or name >= f"{AUDIT}_p{this_month - datetime.timedelta(days=1):%Y_%m}"
            for name in read
        )

    def test_a_shared_lane_whose_entries_are_all_months_old_is_taken_at_its_head(self):
        # The lane's head is looked for among the recent months first, then in every month.
        with connection.cursor() as cursor:  # lane 0 emptied for this test (its transaction brings it back)
            cursor.execute(f"ALTER TABLE {AUDIT} DISABLE TRIGGER USER")
            cursor.execute(f"DELETE FROM {AUDIT} WHERE lane = 0")  # nosec B608  # a test's constant
            cursor.execute(f"ALTER TABLE {AUDIT} ENABLE TRIGGER USER")
        months_ago = timezone.now() - datetime.timedelta(days=90)
        for seq in (1, 2):
            audit_row(months_ago + datetime.timedelta(seconds=seq), lane=0, seq=seq)

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT taken_lane, head_seq FROM {AUDIT}_take_lane(1, %s)", [audit.POSTGRESQL_LOCK]
            )
            assert cursor.fetchone() == (0, 2)

    def test_old_months_of_the_history_are_dropped_whole_and_the_audit_log_never(self):
        partitions.ensure_partitions(months_ahead=1, today=datetime.date(2029, 1, 1))
        old, kept = check(utc(2029, 1, 5)), check(utc(2029, 2, 5))
        with connection.cursor() as cursor:  # as if committed: no foreign key check left pending
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        dropped = partitions.drop_partitions_before(HISTORY, datetime.date(2029, 2, 1))

        assert f"{HISTORY}_p2029_01" in dropped and f"{HISTORY}_p2029_02" not in dropped
        assert f"{HISTORY}_default" not in dropped

        assert list(Verification.objects.filter(id__in=[old.id, kept.id]).values_list("id", flat=True)) == [
            kept.id
        ]
        for table in (AUDIT, REGISTRY):
            with pytest.raises(ValueError, match="keeps every month"):
                partitions.drop_partitions_before(table, datetime.date(2029, 2, 1))

    def test_deleting_a_check_still_deletes_its_ratings_without_a_database_foreign_key(self, make_user):
        rated = check()
        Rating.objects.create(verification=rated, rater=make_user(), score=5)
        rated.delete()
        assert not Rating.objects.filter(verification_id=rated.id).exists()

    def test_the_command_lists_the_partitions_and_ensures_them(self):
        out = io.StringIO()
        call_command("partitions", "list", stdout=out)
        assert (
            f"{HISTORY} (by month of created_at)" in out.getvalue() and f"{AUDIT}_default" in out.getvalue()
        )
        call_command(
            "partitions", "ensure", "--months-ahead", "1", stdout=io.StringIO(), stderr=io.StringIO()
        )
        assert f"{HISTORY}_p{timezone.now():%Y_%m}" in [p.name for p in partitions.partitions(HISTORY)]


PLAIN = [("verification", "0005_risk"), ("security", "0005_audit_lanes")]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_conversion_keeps_every_row_and_the_audit_chain(home):
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(PLAIN)
        assert HISTORY not in partitions.partitioned_tables()
        old = executor.loader.project_state(PLAIN).apps.get_model("verification", "Verification")
        before = [
            old.objects.create(channel="cli", submitted={"n": n}, outcome="authentic", created_at=at).id
            for n, at in enumerate([utc(2024, 5, 1), utc(2024, 5, 31), timezone.now()])
        ]
        audit.record(
            audit.Action.VERIFICATION_CREATE, None, audit.target("verification.verification", before[0])
        )
        issued = factories.invoice(issue_date=datetime.date(2025, 8, 20))
        registry.register(issued, on=datetime.date(2025, 9, 1))

        executor = MigrationExecutor(connection)
        executor.migrate(leaves)

        assert list(partitions.partitioned_tables()) == [HISTORY, AUDIT]
        assert list(Verification.objects.order_by("id").values_list("id", "submitted")) == [
            (id, {"n": n}) for n, id in enumerate(before)
        ]
        assert partition_of(HISTORY, before[0]) == partition_of(HISTORY, before[1]) == f"{HISTORY}_p2024_05"
        assert check().id > max(before)  # the id sequence went on from where it was
        assert lookup.find(issued.key).invoice.total == issued.total
        assert check(invoice=Invoice.objects.get(code=issued.code, number=issued.number)).invoice_id
        audit.record(audit.Action.VERIFICATION_CREATE, None, "verification.verification")
        report = audit.verify()
        assert report.ok, report.summary()
    finally:
        MigrationExecutor(connection).migrate(leaves)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="what SQLite does")
@pytest.mark.django_db
def test_on_sqlite_nothing_is_partitioned_and_ensuring_does_nothing():
    assert partitions.partitioned_tables() == {}
    assert partitions.ensure_partitions() == []
    assert partitions.drop_partitions_before(HISTORY, datetime.date(2030, 1, 1)) == []
