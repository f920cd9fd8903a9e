"""The model's features, computed set-wise from the registry and the verification history."""

import datetime

import numpy as np
import pytest

from tests import factories
from yanpiao.registry import services as registry
from yanpiao.risk import features
from yanpiao.verification import services as verification

DAY = datetime.date(2025, 3, 7)
OTHER_BUYER = factories.BUYER.__class__(name="广州南岭电子有限公司", tax_id=factories.tax_id(77))


def one_line(amount: str, **fields):
    return factories.invoice(items=(factories.item(amount),), **fields)


@pytest.fixture
def table(register):
    """Five invoices of one seller: four ordinary ones on one day, one far larger the next day,
    just under the 10,000 yuan limit; the last one to another buyer."""
    for _ in range(4):
        register(one_line("100.00", issue_date=DAY))
    register(one_line("9300.00", issue_date=DAY + datetime.timedelta(days=1), buyer=OTHER_BUYER))

    def read():
        data = features.read()
        return data, {name: features.compute(data)[:, n] for n, name in enumerate(features.NAMES)}

    return read


def test_every_feature_has_a_name_and_words_for_an_explanation():
    assert len(set(features.NAMES)) == len(features.FEATURES) == 10
    assert features.WORDS["amount_deviation"] == "amount far from the seller's usual"
    assert all(feature.words for feature in features.FEATURES)


def test_features_are_one_row_per_registered_invoice_in_id_order(table):
    data, columns = table()
    assert len(data) == 5 and list(data.ids) == sorted(data.ids)
    assert data.total[-1] == pytest.approx(9858.0)
    assert all(len(column) == 5 for column in columns.values())


def test_an_amount_far_from_the_sellers_usual_deviates_most(table):
    _, columns = table()
    deviation = columns["amount_deviation"]
    assert deviation.argmax() == 4 and deviation[4] > 3 * deviation[0]


def test_a_total_just_under_an_issuance_limit_is_near_the_limit(table):
    _, columns = table()
    assert columns["near_limit"].tolist() == [0, 0, 0, 0, 1]
    assert columns["seller_near_limit_share"].tolist() == pytest.approx([0.2] * 5)


def test_a_pair_is_novel_on_its_first_invoice_and_less_so_after(table):
    _, columns = table()
    assert columns["pair_novelty"].tolist() == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1])


def test_a_day_with_more_invoices_than_the_sellers_daily_mean_is_a_burst(table):
    _, columns = table()
    assert columns["seller_burst"].tolist() == pytest.approx([4 / 2.5] * 4 + [1 / 2.5])


def test_issuance_timing_is_read_from_the_registration_time(table):
    data, columns = table()
    assert set(columns["registration_hour"]) <= set(range(24))
    assert set(columns["registration_weekday"]) <= set(range(7))
    assert columns["issue_lag_days"][0] > 0  # registered today, issued in 2025


def test_checks_by_distinct_accounts_and_their_mismatches_come_from_the_history(table, make_user):
    data, _ = table()
    [registered] = registry.invoices_by_id([int(data.ids[0])])
    first, second = make_user(), make_user()
    verification.verify(factories.key_query(registered), actor=first)
    verification.verify(factories.key_query(registered, total="1.00"), actor=second)
    verification.verify(factories.key_query(registered), actor=second)
    data, columns = table()
    assert columns["distinct_checkers"].tolist() == [2, 0, 0, 0, 0]
    assert columns["mismatch_share"][0] == pytest.approx(1 / 3)


def test_an_empty_registry_has_no_features(db):
    assert features.compute(features.read()).shape == (0, len(features.NAMES))


def test_near_limit_is_within_three_percent_under_each_limit():
    totals = np.array([9_700.0, 9_699.99, 99_000.0, 1_000_000.0, 999_999.0])
    assert features.near_limit(totals).tolist() == [True, False, True, False, True]
