"""Benchmark: training the risk model on a big registry (features, fit, scoring every invoice,
writing the scores and the sellers' profiles), against reading the features alone.

    .venv/bin/python benchmarks/risk.py [HOME] [--invoices N] [--compare]

HOME defaults to /tmp/yp-risk-bench (filled with N demo invoices, 1,000,000 by default, unless it
holds them already).  ``--compare`` also fits forests of other sizes on the same features and
prints their fit and scoring times (what docs/risk.md#the-model reports).
"""

import argparse
import time

from _setup import django_on, ensure_registry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", nargs="?", default="/tmp/yp-risk-bench")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    django_on(args.home)
    ensure_registry(args.invoices)

    from yanpiao.risk import features, learning

    training = learning.train()  # first, on a cold cache: the figure a worker would see
    print(training)
    started = time.perf_counter()
    registry = features.read()
    rows = features.compute(registry)
    baseline = time.perf_counter() - started
    print(f"baseline: features of {len(registry):,} invoices read in {baseline:.1f} s")
    print(f"training: {training.seconds:.1f} s = {training.seconds / baseline:.1f} x reading the features")

    if args.compare:
        for trees, samples in ((50, 256), (100, 256), (200, 256), (100, 1024), (100, 4096)):
            chosen = {"n_estimators": trees, "max_samples": samples, "random_state": 1}
            started = time.perf_counter()
            learning.fit(rows, chosen)  # fitting, and scoring every invoice once
            print(
                f"forest {trees} trees x {samples} samples: fit and score {time.perf_counter() - started:.1f} s"
            )


if __name__ == "__main__":
    main()
