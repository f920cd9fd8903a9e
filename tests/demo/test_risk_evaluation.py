"""``yanpiao risk evaluate``: rules and model measured on labelled demo fraud, in a small run."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yanpiao.demo import risk_evaluation as evaluation
from yanpiao.risk import codes


@pytest.fixture
def evaluated(db):
    """One small evaluation through the command, as JSON."""
    out = io.StringIO()
    try:
        call_command("risk", "evaluate", "--here", "--invoices", "2000", "--seed", "3", "--json", stdout=out)
        status = 0
    except SystemExit as exit:
        status = exit.code
    return json.loads(out.getvalue()), status


def test_evaluate_reports_precision_and_recall_of_every_rule_and_the_models_auc(evaluated):
    figures, status = evaluated
    assert set(figures["rules"]) == set(codes.RULES)
    assert (
        figures["invoices"] == 2000 and figures["checks"] > 300 and figures["assessed_by"] == "verification"
    )
    for rule in figures["rules"].values():
        assert rule["labelled"] > 0 and rule["fired"] > 0
        assert 0 <= rule["precision"] <= 1 and 0 <= rule["recall"] <= 1
        assert rule["ok"] == (rule["precision"] >= 0.9 and rule["recall"] >= 0.9)
    model = figures["model"]
    assert 0.5 < model["auc"] <= 1 and model["anomalous"] > 0 and model["ordinary"] > model["anomalous"]
    assert model["ok"] == (model["auc"] >= 0.9)
    assert figures["ok"] == (all(r["ok"] for r in figures["rules"].values()) and model["ok"])
    assert status == (0 if figures["ok"] else 1)


def test_evaluate_refuses_a_database_that_holds_data(evaluated):
    with pytest.raises(CommandError, match="holds invoices or accounts"):
        call_command("risk", "evaluate", "--here", "--invoices", "1000")


def test_figures_are_computed_from_the_counts():
    figures = evaluation.RuleFigures(hits=9, false_alarms=1, misses=3)
    assert (figures.precision, figures.recall, figures.ok) == (0.9, 0.75, False)
    assert evaluation.RuleFigures().precision is None and not evaluation.RuleFigures().ok
    report = evaluation.Report(invoices=10, seed=1, auc=0.95)
    assert not report.ok  # no rule was measured
    for code in codes.RULES:
        report.rules[code] = evaluation.RuleFigures(hits=10)
    assert report.ok and not evaluation.Report(invoices=10, seed=1, rules=report.rules, auc=0.85).ok


def test_a_bad_number_of_invoices_is_a_one_line_refusal(db):
    with pytest.raises(CommandError, match="not a positive whole number"):
        call_command("risk", "evaluate", "--here", "--invoices", "zero")


def test_evaluate_refuses_a_registry_too_small_for_the_scenarios():
    with pytest.raises(CommandError, match="at least 1000 invoices"):
        call_command("risk", "evaluate", "--invoices", "10")
