"""``yanpiao history``: the operator's view (everyone's, masked) or an account's (``--as``), the
same filters as the API, a list page (text or JSON) and CSV or XLSX exports."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests import factories
from tests.history import scene as scenes
from yanpiao.access.masking import mask

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(register, make_user):
    return scenes.build(register, make_user)


def history(*args) -> str:
    out = io.StringIO()
    call_command("history", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_operator_lists_everyones_history_masked(scene):
    answer = json.loads(history("list", "--json"))
    assert {item["id"] for item in answer["items"]} == scene.everyone()
    authentic = next(item for item in answer["items"] if item["id"] == scene.ids["authentic"])
    assert authentic["invoice"]["seller"]["name"] == mask(factories.SELLER.name, "name")


def test_as_an_account_the_command_sees_what_that_account_sees(scene):
    answer = json.loads(history("list", "--json", "--as", scene.outsider.email))
    assert {item["id"] for item in answer["items"]} == {scene.ids["outsider"]}
    assert answer["items"][0]["invoice"]["seller"]["name"] == factories.SELLER.name
    with pytest.raises(CommandError):
        history("list", "--as", "nobody@example.com")


def test_filters_and_pages_in_text(scene):
    text = history("list", "--outcome", "mismatch,not_found", "--limit", "1")
    lines = text.splitlines()
    assert len(lines) == 2 and lines[1].startswith("next page: --cursor=")
    cursor_option = lines[1].split()[-1]
    rest = history("list", "--outcome", "mismatch,not_found", cursor_option).splitlines()
    shown = {line.split()[-1] for line in (lines[0], *rest)}
    assert shown == {scene.ids["mismatch"], scene.ids["not_found"]}
    assert (
        json.loads(history("list", "--json", "--seller-tax-id", scenes.OTHER_SELLER.tax_id))["items"][0]["id"]
        == scene.ids["voided"]
    )


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--outcome", "real"),
        ("list", "--min-total", "abc"),
        ("list", "--cursor", "forged"),
        ("list", "--limit", "0"),
        ("export", "--format", "xlsx", "-o", "-"),
    ],
)
def test_bad_input_is_a_usage_error(scene, args):
    with pytest.raises(CommandError) as raised:
        history(*args)
    assert raised.value.returncode == 2


def test_exports_to_files(scene, tmp_path, audit_events):
    history("export", "--format", "csv", "-o", str(tmp_path / "h.csv"), "--type", "32")
    with (tmp_path / "h.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["id"] for row in rows} == {scene.ids["authentic"], scene.ids["voided"], scene.ids["outsider"]}
    history("export", "--format", "xlsx", "-o", str(tmp_path / "h.xlsx"))
    workbook = load_workbook(tmp_path / "h.xlsx", read_only=True)
    assert len(list(workbook.active.iter_rows(values_only=True))) == 1 + len(scene.ids)
    workbook.close()
    entries = [event for event in audit_events if event["action"] == "history.export"]
    assert [(e["actor"].pk, e["detail"]["channel"], e["detail"]["rows"]) for e in entries] == [
        (None, "cli", 3),
        (None, "cli", 6),
    ]


def test_csv_to_standard_output(scene):
    text = history("export", "-o", "-", "--as", scene.actor.email, "--outcome", "authentic")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row["id"] for row in rows] == [scene.ids["authentic"]]


def test_the_next_page_option_works_as_printed_even_for_a_cursor_that_begins_with_a_dash(scene):
    """A cursor is URL-safe base64 and may begin with "-": printed as ``--cursor=…`` it is never
    taken for an option (``--cursor -…`` was, one page in 64)."""
    import datetime

    from yanpiao.history import paging

    position = paging.Position(datetime.datetime.now(datetime.UTC), 1)
    cursor = next(c for c in (paging.encode(position) for _ in range(5000)) if c.startswith("-"))
    with pytest.raises(CommandError, match="expected one argument"):
        history("list", "--cursor", cursor)
    assert history("list", f"--cursor={cursor}") is not None  # read as the cursor
