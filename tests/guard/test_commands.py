"""``yanpiao guard list`` and ``unblock``: the blocks in force; lifting one is audited; one line of
error (exit 2) on a bad id or address."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yanpiao.guard import services
from yanpiao.guard.models import Block
from yanpiao.security import audit

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("guard", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def blocks():
    address, _ = services.block_address("203.0.113.7", "scanner", "probe paths")
    account, _ = services.block_account(42, "enumeration", "not_found")
    return address, account


def test_the_list_is_a_line_per_block_newest_first_and_masks_the_address(blocks):
    address, account = blocks
    lines = run("list").splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(account.pk), str(address.pk)]
    assert "203.0.113.*" in lines[1] and "203.0.113.7" not in run("list")
    [first, _] = [json.loads(line) for line in run("list", "--json").splitlines()]
    assert (first["subject"], first["label"], first["reason"]) == ("account", "#42", "enumeration")


def test_unblock_by_id_lifts_the_block_and_audits_it(blocks, audit_events):
    _, account = blocks
    assert run("unblock", str(account.pk)).startswith(f"unblocked {account.pk}")
    account.refresh_from_db()
    assert account.lifted_at is not None
    [lifted] = [event for event in audit_events if event["action"] == audit.Action.GUARD_UNBLOCK]
    assert lifted["target"] == f"guard.block:{account.pk}" and lifted["detail"] == {"by": "operator"}
    assert str(account.pk) not in [line.split("\t")[0] for line in run("list").splitlines()]


def test_unblock_by_address_lifts_its_blocks(blocks):
    run("unblock", "203.0.113.7")
    assert Block.objects.get(pk=blocks[0].pk).lifted_at is not None
    assert Block.objects.get(pk=blocks[1].pk).lifted_at is None


@pytest.mark.parametrize(
    ("target", "message"),
    [("not-an-address", "neither a block id nor an IP address"), ("99999", "no block in force"),
     ("198.51.100.1", "no block in force")],
)  # fmt: skip
def test_a_bad_target_is_one_line_of_error_and_exit_2(blocks, target, message):
    with pytest.raises(CommandError) as refused:
        run("unblock", target)
    assert message in str(refused.value) and refused.value.returncode == 2
    assert "\n" not in str(refused.value)


def test_an_empty_list_says_so_on_stderr_and_prints_no_line(db, capsys):
    call_command("guard", "list")
    out, err = capsys.readouterr()
    assert out == "" and "no address or account is blocked" in err
