"""Training the risk model: a versioned, digested forest that scores every registered invoice."""

import datetime
import json

import pytest

from tests import factories
from yanpiao.risk import features, learning
from yanpiao.risk.models import InvoiceScore, ModelVersion, SellerProfile
from yanpiao.security import audit
from yanpiao.security.models import AuditEntry

SMALL = {"n_estimators": 30, "max_samples": 64, "random_state": 1}


@pytest.fixture
def registry_with_an_outlier(register):
    """Forty ordinary invoices of one seller over forty days, and one a thousand times larger."""
    ordinary = [
        register(
            factories.invoice(
                items=(factories.item(f"{100 + 3 * n}.00"),),
                issue_date=datetime.date(2025, 1, 1) + datetime.timedelta(days=n),
            )
        )
        for n in range(40)
    ]
    outlier = register(
        factories.invoice(items=(factories.item("150000.00"),), issue_date=datetime.date(2025, 3, 1))
    )
    return ordinary, outlier


def score_of(invoice):
    from yanpiao.registry import services as registry

    return InvoiceScore.objects.get(invoice=registry.find_row(invoice.key))


def test_training_saves_an_active_version_and_scores_every_invoice(registry_with_an_outlier):
    training = learning.train(chosen=SMALL)
    version = ModelVersion.objects.get()
    assert (
        (version.version, version.active, version.invoices) == (1, True, 41) == (training.version, True, 41)
    )
    assert version.features == list(features.NAMES)
    assert version.params["n_estimators"] == 30 and len(version.params["anchors"]) == 4
    assert version.seconds > 0 and len(version.digest) == 64
    assert InvoiceScore.objects.count() == 41 and SellerProfile.objects.count() == 1
    assert all(0 <= score.score <= 100 and score.version == 1 for score in InvoiceScore.objects.all())


def test_the_invoice_far_from_its_sellers_usual_scores_highest_and_says_why(registry_with_an_outlier):
    ordinary, outlier = registry_with_an_outlier
    learning.train(chosen=SMALL)
    top = score_of(outlier)
    assert top.score >= 70 and top.score == max(InvoiceScore.objects.values_list("score", flat=True))
    assert "amount_deviation" in top.top_features
    assert set().union(*(set(s.top_features) for s in InvoiceScore.objects.all())) <= set(features.NAMES)
    assert score_of(ordinary[20]).score < 40


def test_a_new_training_becomes_the_active_version_and_is_audited(registry_with_an_outlier):
    learning.train(chosen=SMALL)
    learning.train(chosen=SMALL)
    assert list(ModelVersion.objects.order_by("version").values_list("version", "active")) == [
        (1, False),
        (2, True),
    ]
    assert learning.active().version == 2
    assert set(InvoiceScore.objects.values_list("version", flat=True)) == {2}
    entry = AuditEntry.objects.filter(action=audit.Action.RISK_TRAIN).latest("id")
    detail = entry.detail if isinstance(entry.detail, dict) else json.loads(entry.detail)
    assert detail["version"] == 2 and detail["invoices"] == 41


def test_a_stored_model_loads_and_scores_as_trained(registry_with_an_outlier):
    learning.train(chosen=SMALL)
    model = learning.load(learning.active())
    data = features.read()
    scores = model.scores(features.compute(data))
    stored = dict(InvoiceScore.objects.values_list("invoice_id", "score"))
    assert scores.tolist() == [stored[int(i)] for i in data.ids]


def test_a_tampered_blob_is_refused_before_it_is_unpickled(registry_with_an_outlier):
    learning.train(chosen=SMALL)
    version = learning.active()
    blob = bytearray(version.blob)
    blob[len(blob) // 2] ^= 0xFF  # one byte changed in the database
    version.blob = bytes(blob)
    with pytest.raises(learning.TamperedModel, match="does not match"):
        learning.load(version)
    version = learning.active()
    version.digest = "0" * 64
    with pytest.raises(learning.TamperedModel):
        learning.load(version)


def test_an_empty_registry_is_nothing_to_train_on(db):
    with pytest.raises(learning.NothingToTrain):
        learning.train(chosen=SMALL)
    assert learning.active() is None
