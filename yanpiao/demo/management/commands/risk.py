"""``yanpiao risk train|evaluate``: train the risk model now; measure the rules and the model.

``yanpiao risk train`` trains a new model version on the whole registry (as the worker does on
schedule, :mod:`yanpiao.risk.tasks`) and prints what it took.

``yanpiao risk evaluate [--invoices N] [--seed S] [--json]`` builds a demo registry of N invoices
(10,000) with labelled fraud scenarios in a fresh, temporary data folder (its own SQLite
database, removed afterwards), so it never touches the data of this one, and prints each rule's
precision and recall and the model's ROC AUC (:mod:`yanpiao.demo.risk_evaluation`).  ``--here`` runs
it on the configured database instead, which must hold no invoices and no accounts, unless
``--force`` (the scenarios' fraud is then written into it).

Exit status: 0 when every target holds (evaluate) or training finished, 1 when a target is
missed, 2 for a refusal (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from yanpiao.demo import risk_evaluation as evaluation
from yanpiao.risk import learning

EXIT_MISSED = 1
EXIT_USAGE = 2


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


# Below this the scenarios (each a few invoices of the registry's sellers) do not fit in the registry.
MIN_INVOICES = 1000


def enough_invoices(text: str) -> int:
    value = positive(text)
    if value < MIN_INVOICES:
        raise argparse.ArgumentTypeError(
            f"at least {MIN_INVOICES} invoices, for the scenarios to fit: {text!r}"
        )
    return value


class Command(BaseCommand):
    help = "Train the risk model now (train), or measure the rules and the model on demo fraud (evaluate)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("train", help="train a new model version on the whole registry")
        evaluate = actions.add_parser(
            "evaluate", help="precision and recall of each rule, the model's ROC AUC"
        )
        evaluate.add_argument(
            "--invoices",
            type=enough_invoices,
            default=10_000,
            help=f"demo invoices ({MIN_INVOICES} or more; 10000)",
        )
        evaluate.add_argument("--seed", type=int, default=1, help="what every random choice follows (1)")
        evaluate.add_argument("--json", action="store_true", help="the figures as JSON")
        evaluate.add_argument(
            "--here", action="store_true", help="on the configured database (must be empty)"
        )
        evaluate.add_argument("--force", action="store_true", help="with --here: even if it holds data")

    def handle(self, *args, action, **options):
        if action == "train":
            try:
                self.stdout.write(str(learning.train()))
            except learning.NothingToTrain as error:
                raise CommandError(str(error), returncode=EXIT_USAGE) from None
            return
        if not options["here"]:
            self._in_fresh_folder(options)
            return
        try:
            report = evaluation.run(options["invoices"], options["seed"], force=options["force"])
        except evaluation.NotEmpty as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        else:
            for line in report.lines():
                self.stdout.write(line)
        if not report.ok:
            raise SystemExit(EXIT_MISSED)

    def _in_fresh_folder(self, options: dict) -> None:
        """The same command with --here, in a child process on a temporary data folder."""
        argv = [
            "risk",
            "evaluate",
            "--here",
            "--invoices",
            str(options["invoices"]),
            "--seed",
            str(options["seed"]),
        ]
        if options["json"]:
            argv.append("--json")
        with tempfile.TemporaryDirectory(prefix="yanpiao-risk-evaluate-") as home:
            environment = {**os.environ, "YANPIAO_HOME": home}
            environment.pop("DATABASE_URL", None)
            child = subprocess.run(
                [sys.executable, "-c", "from yanpiao.cli import run; run()", *argv],
                env=environment,
                capture_output=True,
                text=True,
                check=False,
            )
        self.stdout.write(child.stdout, ending="")
        if child.stderr:
            self.stderr.write(child.stderr, ending="")
        if child.returncode:
            raise SystemExit(child.returncode)
