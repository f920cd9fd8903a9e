"""Blocks: one at a time per subject, audited, lifted once; what is blocked is cached briefly."""

import datetime

import pytest
from django.utils import timezone

from yanpiao.alerts.models import Alert
from yanpiao.guard import services
from yanpiao.guard.models import Block
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


def test_an_address_is_blocked_once_at_a_time_by_a_keyed_digest(audit_events):
    first, made = services.block_address("198.51.100.4", "scanner", "probe paths")
    again, made_again = services.block_address("198.51.100.4", "payload_probe", "attack strings")
    assert made and not made_again and again.pk == first.pk
    assert "198.51.100.4" not in first.subject_key and len(first.subject_key) == 64
    assert [event["action"] for event in audit_events if event["action"].startswith("guard.")] == [
        audit.Action.GUARD_BLOCK
    ]
    assert Alert.objects.get().occurrences == 1


def test_an_ipv6_address_is_blocked_with_its_64(audit_events):
    services.block_address("2001:db8:1:2::9", "scanner", "probe paths")
    assert services.address_blocked("2001:db8:1:2:ffff::1") is not None
    assert services.address_blocked("2001:db8:1:3::1") is None
    assert Block.objects.get().label == "2001:db8:*/64"


def test_a_manual_block_raises_no_alert():
    services.block_address("198.51.100.5", "manual", "by hand")
    assert not Alert.objects.exists()


def test_a_block_lifted_elsewhere_lets_the_next_request_through_at_once():
    block, _ = services.block_address("198.51.100.6", "scanner", "probe paths")
    assert services.address_blocked("198.51.100.6") == block
    Block.objects.filter(pk=block.pk).update(lifted_at=timezone.now())  # as another process would
    assert services.address_blocked("198.51.100.6") is None


def test_blocks_that_ran_out_are_lifted_once_when_listed(audit_events):
    past = timezone.now() - datetime.timedelta(hours=1)
    services.block_address("198.51.100.7", "scanner", "probe paths", now=past)
    assert list(services.active_blocks()) == []
    assert list(services.active_blocks()) == []
    lifts = [event for event in audit_events if event["action"] == audit.Action.GUARD_UNBLOCK]
    assert len(lifts) == 1 and lifts[0]["actor"] is None


def test_lifting_twice_lifts_once():
    block, _ = services.block_address("198.51.100.8", "scanner", "probe paths")
    assert services.unblock(block) and not services.unblock(block)
