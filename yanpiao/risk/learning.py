"""The learned risk model: an isolation forest over every registered invoice's features
(:mod:`yanpiao.risk.features`), trained, versioned and scored set-wise.

:func:`train` reads the registry and the verification history once, recomputes the sellers'
profiles, fits the forest, scores every invoice 0–100 into
:class:`~yanpiao.risk.models.InvoiceScore` (with the features that weigh most, by name) and saves
a new :class:`~yanpiao.risk.models.ModelVersion`, which becomes the active one; all in one
transaction, audited as ``risk.train``.

The pickled model is vouched for by a keyed digest: :func:`load` refuses a blob whose digest does
not match (it is never unpickled), so whoever can write to the database cannot make the process
run code of their choosing.

Scores: the forest's anomaly score ``s`` (0.5 ordinary, towards 1 isolated at once) is mapped
piecewise-linearly through the training set's own quantiles: the median and below is 0, the 99th
percentile 40 (medium), the 99.9th 70 (high), an ``s`` of 1 is 100.  "High" thus means rarer than
one invoice in a thousand of this registry.

Explanations: each feature's robust z-score (distance from the registry's median in units of its
spread); an invoice's top features are the (at most three) largest of at least
:data:`EXPLAIN_FROM`.
"""

from __future__ import annotations

import hmac
import json
import pickle
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from sklearn.ensemble import IsolationForest

from yanpiao import dbapi
from yanpiao.risk import features, profiles
from yanpiao.risk.models import InvoiceScore, ModelVersion
from yanpiao.security import audit
from yanpiao.security.fields import keyed_digest

DIGEST_PURPOSE = "risk model"
QUANTILES = (0.5, 0.99, 0.999)
SCORES = (0.0, 40.0, 70.0, 100.0)
EXPLAIN_FROM = 3.0  # robust z-score from which a feature counts as contributing
TOP = 3
WRITE_ROWS = 50_000


class NothingToTrain(Exception):
    """The registry holds no invoices."""


class TamperedModel(Exception):
    """A stored model's digest does not match its blob: it is not loaded."""


@dataclass
class Model:
    """A fitted forest with what turns its output into scores and explanations."""

    forest: IsolationForest
    names: tuple[str, ...]
    anchors: tuple[float, ...]  # the raw scores mapped to SCORES
    center: np.ndarray  # per feature: the median
    spread: np.ndarray  # per feature: a robust spread, never 0

    def raw(self, rows: np.ndarray) -> np.ndarray:
        """The forest's anomaly score, 0.5 ordinary, towards 1 anomalous."""
        return -self.forest.score_samples(rows)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Scores of 0–100 (integers)."""
        return self.scale(self.raw(rows))

    def scale(self, raw: np.ndarray) -> np.ndarray:
        """The forest's raw scores as scores of 0–100."""
        return np.rint(np.interp(raw, self.anchors, SCORES)).astype(np.int64)

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """Each feature's robust z-score."""
        return np.abs(rows - self.center) / self.spread

    def top_features(self, rows: np.ndarray) -> np.ndarray:
        """Per row, the indices of its (at most TOP) contributing features, strongest first; -1 pads."""
        z = self.contributions(rows)
        k = min(TOP, z.shape[1])
        order = np.argsort(-z, axis=1, kind="stable")[:, :k]
        strongest = np.take_along_axis(z, order, axis=1)
        return np.where(strongest >= EXPLAIN_FROM, order, -1)

    def explain(self, rows: np.ndarray) -> list[list[str]]:
        """The names of each row's top features."""
        return [[self.names[i] for i in row if i >= 0] for row in self.top_features(rows).tolist()]


def _anchors(raw: np.ndarray) -> tuple[float, ...]:
    points = (
        [*np.quantile(raw, QUANTILES).tolist(), max(1.0, float(raw.max()))]
        if len(raw)
        else [0.5, 0.6, 0.7, 1.0]
    )
    for i in range(1, len(points)):  # strictly increasing, for np.interp
        points[i] = max(points[i], points[i - 1] + 1e-9)
    return tuple(points)


def _spread(rows: np.ndarray) -> np.ndarray:
    """Per feature: the interquartile range over 1.349 (the standard deviation of a normal
    variable), or a tenth of the standard deviation where most values are equal; never 0."""
    if not len(rows):
        return np.ones(rows.shape[1])
    q1, q3 = np.quantile(rows, [0.25, 0.75], axis=0)
    spread = (q3 - q1) / 1.349
    return np.maximum(np.maximum(spread, rows.std(axis=0) * 0.1), 1e-6)


def params() -> dict:
    return {
        "n_estimators": settings.YANPIAO_RISK_MODEL_TREES,
        "max_samples": settings.YANPIAO_RISK_MODEL_SAMPLES,
        "random_state": settings.YANPIAO_RISK_MODEL_SEED,
    }


def fit(rows: np.ndarray, chosen: dict | None = None) -> tuple[Model, np.ndarray]:
    """The model fitted on ``rows``, and its raw scores of them (from which its anchors come)."""
    chosen = chosen or params()
    forest = IsolationForest(
        n_estimators=chosen["n_estimators"],
        max_samples=min(chosen["max_samples"], max(len(rows), 1)),
        random_state=chosen["random_state"],
        n_jobs=2,
    ).fit(rows)
    model = Model(forest, features.NAMES, (), np.median(rows, axis=0), _spread(rows))
    raw = model.raw(rows)
    model.anchors = _anchors(raw)
    return model, raw


def digest(blob: bytes) -> str:
    return keyed_digest(blob, DIGEST_PURPOSE)


def load(version: ModelVersion) -> Model:
    """The stored model, once its digest proves the blob is the one training wrote."""
    blob = bytes(version.blob)
    if not hmac.compare_digest(digest(blob), version.digest):
        raise TamperedModel(f"risk model v{version.version}: the digest does not match, not loaded")
    return pickle.loads(blob)  # noqa: S301 (vouched for by the keyed digest above)  # nosec B301  # loaded only after the keyed digest (HMAC) of the blob matched


def active() -> ModelVersion | None:
    return ModelVersion.objects.filter(active=True).order_by("-version").first()


@dataclass
class Training:
    """What :func:`train` did and how long each step took (seconds)."""

    version: int
    invoices: int
    sellers: int
    read_seconds: float
    fit_seconds: float
    score_seconds: float
    write_seconds: float

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.fit_seconds + self.score_seconds + self.write_seconds

    def __str__(self) -> str:
        return (
            f"risk model v{self.version}: {self.invoices:,} invoices, {self.sellers:,} sellers in "
            f"{self.seconds:.1f} s (read {self.read_seconds:.1f}, fit {self.fit_seconds:.1f}, "
            f"score {self.score_seconds:.1f}, write {self.write_seconds:.1f})"
        )


def _explanations(top: np.ndarray, names: tuple[str, ...]) -> list[str]:
    """Each row's top features as JSON text, built once per distinct combination."""
    if not len(top):
        return []
    combos, inverse = np.unique(top, axis=0, return_inverse=True)
    texts = [json.dumps([names[i] for i in combo if i >= 0]) for combo in combos.tolist()]
    return [texts[i] for i in inverse.reshape(-1).tolist()]


def _write_scores(ids: np.ndarray, version: int, scores: np.ndarray, explanations: list[str]) -> None:
    sql = "INSERT INTO risk_invoicescore (invoice_id, version, score, top_features) VALUES (%s, %s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM risk_invoicescore")
        id_list, score_list = ids.tolist(), scores.tolist()
        for start in range(0, len(id_list), WRITE_ROWS):
            end = min(start + WRITE_ROWS, len(id_list))
            cursor.executemany(
                sql,
                zip(
                    id_list[start:end],
                    [version] * (end - start),
                    score_list[start:end],
                    explanations[start:end],
                    strict=True,
                ),
            )


def train(actor=None, chosen: dict | None = None) -> Training:
    """Train a new version on the whole registry, score every invoice with it and make it active."""
    chosen = chosen or params()
    started = time.perf_counter()
    registry = features.read()
    if not len(registry):
        raise NothingToTrain("the registry holds no invoices: nothing to train the risk model on")
    figures = features.sellers(registry)
    rows = features.compute(registry, figures)
    sellers = profiles.build(registry, figures)
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    model, raw = fit(rows, chosen)
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    fit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    scores = model.scale(raw)
    explanations = _explanations(model.top_features(rows), model.names)
    score_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with dbapi.serialized_writes(), transaction.atomic():
        number = (ModelVersion.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        _write_scores(registry.ids, number, scores, explanations)
        profiles.save(sellers)
        ModelVersion.objects.filter(active=True).update(active=False)
        training = Training(
            number, len(registry), len(sellers), read_seconds, fit_seconds, score_seconds, 0.0
        )
        version = ModelVersion.objects.create(
            version=number,
            invoices=len(registry),
            seconds=0.0,
            features=list(model.names),
            params={**chosen, "anchors": list(model.anchors)},
            digest=digest(blob),
            blob=blob,
            active=True,
        )
        training.write_seconds = time.perf_counter() - started
        ModelVersion.objects.filter(pk=version.pk).update(seconds=training.seconds)
        audit.record(
            audit.Action.RISK_TRAIN,
            actor,
            audit.target(ModelVersion, version.pk),
            {"version": number, "invoices": len(registry), "seconds": round(training.seconds, 1)},
        )
    return training


def score_of(invoice_id: int) -> InvoiceScore | None:
    """The active model's score of a registered invoice, None when it has none yet."""
    return InvoiceScore.objects.filter(invoice_id=invoice_id).first()


__all__ = ["Model", "NothingToTrain", "TamperedModel", "Training", "active", "digest", "fit", "load", "train"]
