"""The README's ``yanpiao verify`` examples and the API examples of the README and docs/api.md give
the outcomes they show, on the demo registry of ``make run``."""

import json
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


def fill_demo_registry():
    import datetime

    end_date = datetime.date.fromisoformat(make_variable("DEMO_END_DATE"))
    fill(int(make_variable("DEMO_INVOICES")), seed=1, end_date=end_date)


def api_examples() -> list[tuple[str, dict]]:
    """The verification examples of the README and docs/api.md: ``curl … /verifications[/qr] … -d '{…}'``."""
    found = []
    for name in ("README.md", "docs/api.md"):
        text = (ROOT / name).read_text(encoding="utf-8").replace("\\\n", " ")
        for path, body in re.findall(r"curl -s -X POST \S*?(/verifications(?:/qr)?) .*?-d '(\{.*?\})'", text):
            found.append((path, json.loads(body)))
    return found


def test_every_api_example_verifies_authentic(client):
    fill_demo_registry()
    assert len(api_examples()) >= 4
    for path, body in api_examples():
        answer = client.post(f"/api/v1{path}", body, content_type="application/json")
        assert (answer.status_code, answer.json().get("outcome")) == (200, "authentic"), (path, body)


def test_every_verify_example_gives_the_outcome_shown(capsys):
    fill_demo_registry()
    for argv, outcome in examples():
        cli.main([*argv, "--json"])
        out = capsys.readouterr().out
        assert f'"outcome": "{outcome}"' in out, (argv, out[:300])
