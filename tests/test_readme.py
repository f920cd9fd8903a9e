"""The README's ``yanpiao verify`` examples give the outcomes it shows, on the demo registry of ``make run``."""

import re
from pathlib import Path

import pytest

from yanpiao import cli
from yanpiao.demo.fill import fill

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = re.compile(r"^\.venv/bin/yanpiao (verify .*?)\s+# .*: (\w+)$")

pytestmark = pytest.mark.django_db(transaction=True)


def make_variable(name: str) -> str:
    return re.search(rf"^{name} \?= (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).strip()


def examples() -> list[tuple[list[str], str]]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    return [(match.group(1).split(), match.group(2)) for line in lines if (match := EXAMPLE.match(line))]


def test_the_readme_shows_examples_of_each_key_field():
    options = {arg for argv, _ in examples() for arg in argv}
    assert {"--total", "--amount", "--check-code"} <= options
    assert {outcome for _, outcome in examples()} >= {"authentic", "mismatch", "voided"}


def test_every_verify_example_gives_the_outcome_shown(capsys):
    import datetime

    end_date = datetime.date.fromisoformat(make_variable("DEMO_END_DATE"))
    fill(int(make_variable("DEMO_INVOICES")), seed=1, end_date=end_date)
    for argv, outcome in examples():
        cli.main([*argv, "--json"])
        out = capsys.readouterr().out
        assert f'"outcome": "{outcome}"' in out, (argv, out[:300])
