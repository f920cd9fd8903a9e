"""The rules' thresholds: defaults, the environment, and the settings tests set."""

import pytest

from yanpiao import config
from yanpiao.risk import settings as risk_settings


def test_every_threshold_has_a_default_and_an_environment_variable():
    read = risk_settings.from_environment({})
    assert read == risk_settings.DEFAULTS
    assert (
        risk_settings.from_environment({"YANPIAO_RISK_WEIGHT_AMOUNT_OUTLIER": "55"})["weight_amount_outlier"]
        == 55
    )
    assert risk_settings.from_environment({"YANPIAO_RISK_ISSUANCE_LIMITS_YUAN": "100000, 10000"})[
        "issuance_limits_yuan"
    ] == (10_000, 100_000)


@pytest.mark.parametrize(
    "variable, value",
    [
        ("YANPIAO_RISK_PROBING_MISMATCHES", "five"),
        ("YANPIAO_RISK_PROBING_MISMATCHES", "-1"),
        ("YANPIAO_RISK_ISSUANCE_LIMITS_YUAN", "10000;20000"),
        ("YANPIAO_RISK_ISSUANCE_LIMITS_YUAN", "0"),
    ],
)
def test_a_malformed_value_stops_start_up_with_a_message(variable, value):
    with pytest.raises(config.ConfigError, match=variable):
        risk_settings.from_environment({variable: value})


def test_the_rules_read_the_settings_in_their_units(settings):
    settings.YANPIAO_RISK_RULES = {"near_limit_margin_percent": 5, "enumeration_minutes": 30}
    thresholds = risk_settings.current()
    assert str(thresholds.near_limit_margin) == "0.05"
    assert thresholds.enumeration_window.total_seconds() == 1800
    assert thresholds.probing_mismatches == 5  # the others keep their defaults
