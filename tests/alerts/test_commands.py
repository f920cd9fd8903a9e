"""``yanpiao alerts list`` and ``show``: a table or JSON lines; one line of error on a bad filter."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yanpiao.alerts import services
from yanpiao.alerts.models import Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(auditor):
    seller = services.raise_alert(
        "issuance_burst", "medium", "seller", "9", "Issuing far above its own rate."
    )
    probing = services.raise_alert("forgery_probing", "high", "account", "7", "Repeated mismatches.", ["v1"])
    services.resolve(seller, auditor, "a seasonal peak")
    return seller, probing


def run(*args) -> str:
    out = StringIO()
    call_command("alerts", *args, stdout=out)
    return out.getvalue()


def test_the_list_is_a_line_per_alert_newest_first(alerts):
    seller, probing = alerts
    lines = run("list").splitlines()
    assert [line.split()[-1] for line in lines] == [str(probing.public_id), str(seller.public_id)]
    assert "forgery_probing" in lines[0] and "high" in lines[0]


def test_the_list_filters_by_kind_and_status_and_speaks_json_lines(alerts):
    seller, _ = alerts
    [line] = run("list", "--status", "resolved", "--json").splitlines()
    found = json.loads(line)
    assert (found["id"], found["kind"], found["status"]) == (
        str(seller.public_id),
        "issuance_burst",
        "resolved",
    )
    assert run("list", "--kind", "model") == ""


@pytest.mark.parametrize(
    ("args", "named"), [(("--kind", "nonsense"), "--kind"), (("--status", "done"), "--status")]
)
def test_a_bad_filter_is_one_line_and_exit_status_2(alerts, args, named):
    with pytest.raises(CommandError) as refused:
        run("list", *args)
    assert refused.value.returncode == 2 and str(refused.value).startswith(named)
    assert "\n" not in str(refused.value)


def test_show_gives_the_evidence_and_the_notes(alerts):
    seller, probing = alerts
    assert json.loads(run("show", str(probing.public_id), "--json"))["evidence"] == ["v1"]
    shown = run("show", str(seller.public_id))
    assert "a seasonal peak" in shown and "resolved" in shown
    with pytest.raises(CommandError) as refused:
        run("show", "not-an-id")
    assert refused.value.returncode == 2
    assert Alert.objects.count() == 2
