"""``yanpiao risk evaluate``: how well the rules and the model find fraud they were not tuned on.

:func:`run` fills a demo registry, injects labelled fraud scenarios with randomised sizes and
timings, trains the model, makes ordinary and fraudulent checks through the verification service,
and measures:

- per rule, precision and recall over the checks (target ≥ :data:`TARGET` each);
- the model's ROC AUC on the invoices the scenarios made anomalous against ordinary ones
  (target ≥ :data:`TARGET`).

The scenarios (what a check is labelled with):

- registry: **amount outliers** (an existing seller's invoice 7–12 of its spreads away from its
  usual amount), **bursts** (a seller issuing 8–20 times its daily rate on one day of the last
  week), **near-limit sellers** (new sellers whose 60–100 % of invoices are 0.1–2.9 % under the
  10,000 or 100,000 yuan limit), **abnormal sellers** (1–3 of a seller's invoices flagged abnormal
  by the authority; the demo's own abnormal invoices count too), **reports** and **forged
  certificates** (:func:`yanpiao.risk.signals.mark`), **voided, red-flushed or abnormal
  invoices presented**; a check of such an invoice that reveals it is labelled with the codes of
  every scenario it belongs to;
- history: **duplicate reimbursement** (an invoice presented by one organisation, later by
  another: the later checks), **forgery probing** (an account trying one invoice key with 5–10
  wrong amounts; the national platform's daily limit of 5 checks per invoice refuses the rest: the
  check at which its mismatches become "repeated" by the rule's count, and after), **enumeration**
  (an account trying 30–80 unregistered numbers in a row: its checks from the rule's count on).

Ordinary history: accounts in organisations checking genuine invoices (each invoice by one
organisation), now and then with a typo (a mismatch or a not_found) corrected at once; and
controls: ordinary invoices registered the way the injected ones are (recent issue dates, existing
sellers and buyers, usual amounts), so the model cannot tell injected from demo by the way in.

It lives with the demo data (the layer above the verification service and the risk
assessment) because it builds demo worlds and drives the service; :class:`Harness` names what it
drives, so that a test may drive it with something else.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from yanpiao.accounts.models import Organisation, Role, User
from yanpiao.demo import fill
from yanpiao.fapiao import amount_words, arithmetic, uscc
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.invoice import Invoice, InvoiceKey, Party, format_amount
from yanpiao.fapiao.types import key_amount_field
from yanpiao.registry import lookup
from yanpiao.registry import services as registry
from yanpiao.registry.models import Invoice as InvoiceRow
from yanpiao.registry.models import Party as PartyRow
from yanpiao.risk import assessment, codes, features, learning, signals
from yanpiao.risk import settings as risk_settings
from yanpiao.risk.models import InvoiceMark
from yanpiao.verification import services, throttling

TARGET = 0.9
CENT = Decimal("0.01")
INVALID = {"voided", "red_flushed", "partially_red_flushed", "abnormal"}
EMAIL_DOMAIN = "evaluation.yanpiao.invalid"


class NotEmpty(Exception):
    """The database already holds invoices or accounts: evaluating would mix fraud into them."""


@dataclass(frozen=True)
class Harness:
    """What the evaluation drives: the demo filler and the verification service."""

    fill: Callable[..., Any]  # yanpiao.demo.fill.fill(count, seed=, end_date=)
    verify: Callable[..., Any]  # yanpiao.verification.services.verify(query, actor=, channel=, client=)
    refused: type[Exception]  # yanpiao.verification.throttling.TooManyChecks


def harness() -> Harness:
    return Harness(fill=fill.fill, verify=services.verify, refused=throttling.TooManyChecks)


def holds_data() -> bool:
    """Whether the database holds invoices or accounts already."""
    return InvoiceRow.objects.exists() or User.objects.exists()


# --- figures -----------------------------------------------------------------------------------


@dataclass
class RuleFigures:
    hits: int = 0  # fired and labelled
    false_alarms: int = 0  # fired, not labelled
    misses: int = 0  # labelled, not fired

    @property
    def precision(self) -> float | None:
        fired = self.hits + self.false_alarms
        return self.hits / fired if fired else None

    @property
    def recall(self) -> float | None:
        labelled = self.hits + self.misses
        return self.hits / labelled if labelled else None

    @property
    def ok(self) -> bool:
        return (self.precision or 0) >= TARGET and (self.recall or 0) >= TARGET

    def to_json(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "labelled": self.hits + self.misses,
            "fired": self.hits + self.false_alarms,
            "ok": self.ok,
        }


@dataclass
class Report:
    invoices: int
    seed: int
    checks: int = 0
    rules: dict[str, RuleFigures] = field(
        default_factory=lambda: {code: RuleFigures() for code in codes.RULES}
    )
    auc: float | None = None
    auc_by_scenario: dict[str, float] = field(default_factory=dict)
    anomalous: int = 0
    ordinary: int = 0
    training_seconds: float = 0.0
    seconds: float = 0.0
    channel: str = ""  # how the checks were assessed: "verification" or "assess"

    @property
    def model_ok(self) -> bool:
        return self.auc is not None and self.auc >= TARGET

    @property
    def ok(self) -> bool:
        return self.model_ok and all(figures.ok for figures in self.rules.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "seed": self.seed,
            "checks": self.checks,
            "target": TARGET,
            "rules": {code: figures.to_json() for code, figures in self.rules.items()},
            "model": {
                "auc": self.auc,
                "by_scenario": self.auc_by_scenario,
                "anomalous": self.anomalous,
                "ordinary": self.ordinary,
                "training_seconds": round(self.training_seconds, 2),
                "ok": self.model_ok,
            },
            "assessed_by": self.channel,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
        }

    def lines(self) -> list[str]:
        def share(value: float | None) -> str:
            return "  n/a" if value is None else f"{value:5.2f}"

        lines = [f"{'rule':26} precision recall labelled fired"]
        for code, figures in self.rules.items():
            mark = "" if figures.ok else "  below target"
            lines.append(
                f"{code:26} {share(figures.precision):>9} {share(figures.recall):>6} "
                f"{figures.hits + figures.misses:8} {figures.hits + figures.false_alarms:5}{mark}"
            )
        scenarios = ", ".join(f"{name} {auc:.3f}" for name, auc in self.auc_by_scenario.items())
        lines.append(
            f"model ROC AUC {'n/a' if self.auc is None else f'{self.auc:.3f}'} ({self.anomalous} anomalous vs {self.ordinary} ordinary "
            f"invoices; {scenarios}){'' if self.model_ok else '  below target'}"
        )
        lines.append(
            f"{self.invoices:,} invoices, {self.checks:,} checks ({self.channel}), seed {self.seed}, "
            f"{self.seconds:.1f} s; target {TARGET} each: {'met' if self.ok else 'NOT met'}"
        )
        return lines


# --- the world: the registry as the scenarios see it ------------------------------------------


@dataclass
class Seller:
    id: int
    invoices: int
    days: int
    log_mean: float
    log_std: float


class World:
    """The registry's invoices and sellers (read once), and what the scenarios did to them."""

    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = rng
        self.today = today
        rows = list(InvoiceRow.objects.values_list("id", "seller_id", "buyer_id", "status", "code", "number"))
        self.seller_of = {row[0]: row[1] for row in rows}
        self.status = {row[0]: row[3] for row in rows}
        self.keys = {row[0]: InvoiceKey(row[4], row[5]) for row in rows}
        self.buyers = sorted({row[2] for row in rows})
        data = features.read()
        figures = features.sellers(data)
        self.sellers = {
            int(s): Seller(int(s), int(n), int(d), float(m), float(sd))
            for s, n, d, m, sd in zip(
                figures.ids, figures.invoices, figures.days, figures.log_mean, figures.log_std, strict=True
            )
        }
        self.by_seller: dict[int, list[int]] = defaultdict(list)
        for invoice_id, seller in self.seller_of.items():
            self.by_seller[seller].append(invoice_id)
        self.used: set[int] = set()  # invoices a scenario took: not for ordinary checks
        self.used_sellers: set[int] = set()
        self.sequence = int(registry.highest_digital_sequence(r"^[0-9]{2}112[0-9]{15}$", start=6) or 0)
        # labels
        self.outliers: set[int] = set()
        self.burst_sellers: set[int] = set()
        self.burst_invoices: set[int] = set()
        self.near_sellers: set[int] = set()
        self.near_invoices: set[int] = set()
        self.near_totals: dict[int, bool] = {}
        self.controls: set[int] = set()
        self.marked: dict[int, set[str]] = defaultdict(set)

    def registered(self, invoice_id: int) -> Invoice:
        found = lookup.find(self.keys[invoice_id])
        return found.invoice

    def party(self, party_id: int) -> Party:
        row = PartyRow.objects.get(pk=party_id)
        return Party(
            **{name: getattr(row, name) for name in ("name", "tax_id", "address", "phone", "bank", "account")}
        )

    def sellers_with(self, at_least: int, count: int) -> list[Seller]:
        """``count`` sellers with ``at_least`` invoices that no other scenario took (fewer when
        there are not so many), taken for this one."""
        fit = [s for s in self.sellers.values() if s.invoices >= at_least and s.id not in self.used_sellers]
        fit = fit or [s for s in self.sellers.values() if s.id not in self.used_sellers]
        chosen = self.rng.sample(fit, min(count, len(fit)))
        self.used_sellers.update(s.id for s in chosen)
        return chosen

    def issue(self, seller: Party, template: Invoice, total: Decimal, day: datetime.date) -> int:
        """Register a one-line 数电普票 of ``seller`` with about ``total``; its id."""
        self.sequence += 1
        line = template.items[0]
        amount = (total / (1 + line.rate)).quantize(CENT)
        amount = max(amount, CENT)
        tax = arithmetic.line_tax(amount, line.tax_rate)
        item = dataclasses.replace(line, quantity=Decimal(1), unit_price=amount, amount=amount, tax=tax)
        buyer = self.party(self.rng.choice(self.buyers))
        invoice = template.replace(
            type="32",
            code="",
            number=f"{day.year % 100:02d}112{self.sequence:015d}",
            issue_date=day,
            check_code="",
            machine_no="",
            seller=seller,
            buyer=buyer,
            items=(item,),
            amount=amount,
            tax=tax,
            total=amount + tax,
            total_in_words=amount_words.to_words(amount + tax),
            remarks="",
            payee="",
            reviewer="",
            red_letter_of=None,
            status="normal",
        )
        row = registry.register(invoice, on=self.today)
        self.seller_of[row.pk], self.status[row.pk], self.keys[row.pk] = row.seller_id, "normal", invoice.key
        self.used.add(row.pk)
        return row.pk

    def template(self, seller: Seller) -> Invoice:
        return self.registered(self.rng.choice(self.by_seller[seller.id]))

    def usual_total(self, seller: Seller) -> Decimal:
        value = math.exp(self.rng.gauss(seller.log_mean, max(seller.log_std, 0.1)))
        return Decimal(str(min(max(value, 10.0), 5_000_000.0))).quantize(CENT)

    def recent_day(self, within: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randrange(within))


def _sizes(invoices: int) -> dict[str, int]:
    scale = max(0.2, invoices / 10_000)

    def n(base: int, least: int) -> int:
        return max(least, round(base * scale))

    return {
        "controls": n(80, 20),
        "outliers": n(30, 8),
        "bursts": n(4, 2),
        "near_limit": n(4, 2),
        "abnormal_sellers": n(5, 2),
        "reports": n(15, 4),
        "forged": n(15, 4),
        "invalid_presented": n(40, 10),
        "duplicates": n(40, 10),
        "probers": n(15, 5),
        "enumerators": n(4, 2),
        "organisations": n(12, 4),
        "ordinary_checks": n(1200, 250),
    }


def inject_registry(world: World, sizes: dict[str, int]) -> None:
    """The registry's scenarios (and the controls), before training."""
    rng = world.rng
    for seller in world.sellers_with(60, sizes["outliers"]):
        spread = max(seller.log_std, features.AMOUNT_LOG_STD_FLOOR)
        sign = rng.choice((-1, 1))
        log_total = seller.log_mean + sign * rng.uniform(7, 12) * spread
        if not math.log(20.0) <= log_total <= math.log(50_000_000.0):
            log_total = seller.log_mean - sign * rng.uniform(7, 12) * spread
        log_total = min(max(log_total, math.log(20.0)), math.log(50_000_000.0))
        total = Decimal(str(math.exp(log_total))).quantize(CENT)
        world.outliers.add(
            world.issue(world.party(seller.id), world.template(seller), total, world.recent_day(30))
        )
    for seller in world.sellers_with(25, sizes["bursts"]):
        daily = seller.invoices / max(seller.days, 1)
        count = math.ceil(rng.uniform(8, 20) * daily)
        day, party, template = world.recent_day(6), world.party(seller.id), world.template(seller)
        for _ in range(count):
            world.burst_invoices.add(world.issue(party, template, world.usual_total(seller), day))
        world.burst_sellers.add(seller.id)
    for index in range(sizes["near_limit"]):
        template = world.registered(rng.choice(list(world.seller_of)))
        serial = 90_000_000 + world.rng.randrange(9_000_000) + index
        org = f"{serial:08d}"
        first17 = "91110108" + org + uscc.calc_org_check_digit(org)
        party = dataclasses.replace(
            template.seller,
            name=f"北京临界{index + 1}号商贸有限公司",
            tax_id=first17 + uscc.calc_check_digit(first17),
        )
        count, share = rng.randint(12, 25), rng.uniform(0.6, 1.0)
        limit = Decimal(rng.choice((10_000, 100_000)))
        ids = []
        for n in range(count):
            near = n < max(1, round(count * share))
            if near:
                total = (limit * (1 - Decimal(str(round(rng.uniform(0.001, 0.029), 4))))).quantize(CENT)
            else:
                total = (limit * Decimal(str(round(rng.uniform(0.1, 0.6), 3)))).quantize(CENT)
            invoice_id = world.issue(party, template, total, world.recent_day(30))
            world.near_totals[invoice_id] = near
            ids.append(invoice_id)
        world.near_invoices.update(i for i in ids if world.near_totals[i])
        world.near_sellers.add(InvoiceRow.objects.get(pk=ids[0]).seller_id)
    ordinary = [s for s in world.sellers.values() if s.invoices >= 20 and s.id not in world.used_sellers]
    for seller in rng.choices(ordinary, k=sizes["controls"]) if ordinary else []:
        total, day = world.usual_total(seller), world.recent_day(30)
        world.controls.add(world.issue(world.party(seller.id), world.template(seller), total, day))
    for seller in world.sellers_with(10, sizes["abnormal_sellers"]):
        normal = [
            i for i in world.by_seller[seller.id] if world.status[i] == "normal" and i not in world.used
        ]
        for invoice_id in rng.sample(normal, min(len(normal) - 1, rng.randint(1, 3))):
            registry.flag_abnormal(world.keys[invoice_id], reason="evaluation: abnormal seller")
            world.status[invoice_id] = "abnormal"
    pool = [i for i, s in world.status.items() if s == "normal" and i not in world.used]
    for kind, size in (
        (InvoiceMark.Kind.REPORTED_BY_USER, sizes["reports"]),
        (InvoiceMark.Kind.FORGED_CERTIFICATE, sizes["forged"]),
    ):
        for invoice_id in rng.sample(pool, size):
            for _ in range(rng.randint(1, 3)):
                signals.mark(invoice_id, kind)
            world.marked[invoice_id].add(str(kind))
            world.used.add(invoice_id)


# --- checks ------------------------------------------------------------------------------------


@dataclass
class Step:
    actor: User
    invoice_id: int | None  # the registered invoice the check is about (None: unregistered)
    query: Query
    correct: bool  # the key fields are the registered invoice's


class Checker:
    """Makes the checks, keeps what is needed to label them, and counts the figures."""

    def __init__(self, world: World, harness: Harness, report: Report):
        self.world, self.harness, self.report = world, harness, report
        self.thresholds = risk_settings.current()
        self.abnormal_sellers = {
            world.seller_of[i] for i, status in world.status.items() if status == "abnormal"
        }
        self.presenters: dict[int, set[str]] = defaultdict(set)
        self.mismatches: Counter = Counter()  # (account, key)
        self.not_found: Counter = Counter()  # account
        self.checked: set[int] = set()
        self.probed: set[int] = set()
        self.duplicated: set[int] = set()

    def labels(self, step: Step, presenter: str) -> set[str]:
        world, labels = self.world, set()
        if step.invoice_id is None:
            self.not_found[step.actor.pk] += 1
            if self.not_found[step.actor.pk] >= self.thresholds.enumeration_not_found:
                labels.add(codes.ENUMERATION)
            return labels
        key = world.keys[step.invoice_id]
        if not step.correct:
            self.mismatches[step.actor.pk, key] += 1
            if self.mismatches[step.actor.pk, key] >= self.thresholds.probing_mismatches:
                labels.add(codes.FORGERY_PROBING)
                self.probed.add(step.invoice_id)
            return labels
        if self.mismatches[step.actor.pk, key] >= self.thresholds.probing_mismatches:
            labels.add(codes.FORGERY_PROBING)
        invoice_id, status = step.invoice_id, world.status[step.invoice_id]
        seller = world.seller_of[invoice_id]
        if self.presenters[invoice_id] - {presenter}:
            labels.add(codes.DUPLICATE_REIMBURSEMENT)
            self.duplicated.add(invoice_id)
        self.presenters[invoice_id].add(presenter)
        if status in INVALID:
            labels.add(codes.INVALID_STATUS_PRESENTED)
        if invoice_id in world.outliers:
            labels.add(codes.AMOUNT_OUTLIER)
        if seller in world.burst_sellers:
            labels.add(codes.ISSUANCE_BURST)
        if seller in world.near_sellers and world.near_totals.get(invoice_id):
            labels.add(codes.NEAR_LIMIT_AMOUNTS)
        if seller in self.abnormal_sellers and status != "abnormal":
            labels.add(codes.SELLER_ABNORMAL)
        labels.update(world.marked.get(invoice_id, ()))
        return labels

    def check(self, step: Step) -> None:
        organisation_index = step.actor.organisation.tax_id_index if step.actor.organisation else ""
        presenter = f"org:{organisation_index}" if organisation_index else f"account:{step.actor.pk}"
        try:
            result = self.harness.verify(step.query, actor=step.actor, channel="web", client="127.0.0.1")
        except self.harness.refused:
            return  # refused by the daily limit: never reached the registry, not a check
        labels = self.labels(step, presenter)
        fired = self.fired(result, step, organisation_index)
        self.report.checks += 1
        if step.invoice_id is not None:
            self.checked.add(step.invoice_id)
        for code in codes.RULES:
            figures = self.report.rules[code]
            if code in fired and code in labels:
                figures.hits += 1
            elif code in fired:
                figures.false_alarms += 1
            elif code in labels:
                figures.misses += 1

    def fired(self, result: Any, step: Step, organisation_index: str) -> set[str]:
        risk = getattr(result, "risk", None)
        if risk is None:
            self.report.channel = "assess"
            event = assessment.Event(
                actor_id=step.actor.pk,
                organisation_index=organisation_index,
                client="127.0.0.1",
                channel="web",
                outcome=result.outcome,
                code=step.query.code,
                number=step.query.number,
                invoice_id=step.invoice_id,
                at=result.checked_at,
            )
            risk = assessment.assess(event)
        else:
            self.report.channel = "verification"
        return {reason.code for reason in risk.reasons} - {codes.MODEL}


def query(invoice: Invoice, wrong: random.Random | None = None, number: str | None = None) -> Query:
    """The query a verifier types for ``invoice``; ``wrong``: with a wrong key amount."""
    name = key_amount_field(invoice.type)
    value = invoice.check_code[-6:] if name == "check_code" else format_amount(getattr(invoice, name))
    if wrong is not None:
        if name == "check_code":
            value = f"{(int(value) + wrong.randint(1, 999_998)) % 1_000_000:06d}"
        else:
            value = format_amount(getattr(invoice, name) + Decimal(wrong.randint(1, 5000)) / 100)
    fields = {
        "code": invoice.code,
        "number": number or invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
    }
    fields[name] = value
    return Query.from_fields(**fields)


def _people(world: World, sizes: dict[str, int]) -> tuple[list[User], list[User]]:
    """Ordinary accounts (most in organisations), and accounts for the fraud scenarios."""
    serial = itertools.count(1)

    def organisation() -> Organisation:
        n = next(serial) + 80_000_000 + world.rng.randrange(1_000_000)
        org = f"{n:08d}"
        first17 = "91110105" + org + uscc.calc_org_check_digit(org)
        made = Organisation(name=f"评估单位{n}", tax_id=first17 + uscc.calc_check_digit(first17))
        made.save()
        return made

    def account(org: Organisation | None) -> User:
        return User.objects.create_user(
            email=f"check{next(serial)}@{EMAIL_DOMAIN}", role=Role.TAXPAYER, organisation=org
        )

    ordinary = [
        account(org) for org in (organisation() for _ in range(sizes["organisations"])) for _ in range(3)
    ]
    ordinary += [account(None) for _ in range(3)]
    fraud = [
        account(organisation())
        for _ in range(sizes["probers"] + sizes["enumerators"] + 2 * sizes["duplicates"])
    ]
    return ordinary, fraud


def history_jobs(
    world: World, sizes: dict[str, int], ordinary: list[User], fraud: list[User]
) -> tuple[list, list]:
    """The checks, as jobs (each a list of steps made one after the other): those of the first
    pass, and the second presentations of duplicated invoices after them."""
    rng = world.rng
    pool = [i for i, s in world.status.items() if s == "normal" and i not in world.used and world.keys[i]]
    rng.shuffle(pool)
    bursts = defaultdict(list)
    for invoice_id in sorted(world.burst_invoices):
        bursts[world.seller_of[invoice_id]].append(invoice_id)
    labelled = (
        list(world.outliers) + list(world.near_totals) + list(world.controls) + list(world.marked)
        + [i for ids in bursts.values() for i in rng.sample(ids, min(len(ids), 6))]
        + [i for s in world.burst_sellers for i in world.by_seller.get(s, [])[:3]]
    )  # fmt: skip
    abnormal_sellers = {world.seller_of[i] for i, s in world.status.items() if s == "abnormal"}
    labelled += [
        i for s in abnormal_sellers for i in world.by_seller.get(s, [])[:3] if world.status[i] == "normal"
    ]
    org_of = {user.pk: user.organisation_id or -user.pk for user in ordinary}
    jobs: list[list[Step]] = []
    owner: dict[int, int] = {}  # invoice → the organisation that presents it

    def ordinary_job(invoice_id: int, user: User | None = None) -> list[Step]:
        user = user or rng.choice(ordinary)
        owner.setdefault(invoice_id, org_of[user.pk])
        invoice = world.registered(invoice_id)
        steps = []
        roll = rng.random()
        if roll < 0.08:
            steps.append(Step(user, invoice_id, query(invoice, wrong=rng), correct=False))
        elif roll < 0.12:
            number = invoice.number[:-4] + f"{rng.randrange(10_000):04d}"
            if not world_has(world, invoice.code, number):
                steps.append(Step(user, None, query(invoice, number=number), correct=False))
        steps.append(Step(user, invoice_id, query(invoice), correct=True))
        return steps

    for invoice_id in dict.fromkeys(labelled):
        if world.keys.get(invoice_id) and invoice_id not in owner:
            jobs.append(ordinary_job(invoice_id))
    for invoice_id in pool[: sizes["ordinary_checks"]]:
        jobs.append(ordinary_job(invoice_id))
    for invoice_id in rng.sample(
        [i for i, s in world.status.items() if s in INVALID and s != "abnormal"], sizes["invalid_presented"]
    ):
        jobs.append(ordinary_job(invoice_id))
    rest = pool[sizes["ordinary_checks"] :]
    people = iter(fraud)
    for invoice_id in rest[: sizes["probers"]]:
        user, invoice = next(people), world.registered(invoice_id)
        steps = [
            Step(user, invoice_id, query(invoice, wrong=rng), correct=False)
            for _ in range(rng.randint(5, 10))
        ]
        if rng.random() < 0.5:
            steps.append(Step(user, invoice_id, query(invoice), correct=True))
        jobs.append(steps)
    for _ in range(sizes["enumerators"]):
        user, steps = next(people), []
        template = world.registered(rng.choice(pool))
        while len(steps) < rng.randint(30, 80):
            number = template.number[:-6] + f"{rng.randrange(1_000_000):06d}"
            if not world_has(world, template.code, number):
                steps.append(Step(user, None, query(template, number=number), correct=False))
        jobs.append(steps)
    seconds = []
    for invoice_id in rest[sizes["probers"] : sizes["probers"] + sizes["duplicates"]]:
        first, second = next(people), next(people)
        invoice = world.registered(invoice_id)
        jobs.append([Step(first, invoice_id, query(invoice), correct=True)])
        seconds.append([Step(second, invoice_id, query(invoice), correct=True)])
    rng.shuffle(jobs)
    rng.shuffle(seconds)
    return jobs, seconds


def world_has(world: World, code: str, number: str) -> bool:
    return registry.find_row(InvoiceKey(code, number)) is not None


# --- the model's figure --------------------------------------------------------------------------


def model_auc(world: World, checker: Checker, report: Report) -> None:
    """The model's ROC AUC on the anomalous invoices against ordinary ones (raw forest scores)."""
    from sklearn.metrics import roc_auc_score

    version = learning.active()
    model = learning.load(version)
    data = features.read()
    raw = model.raw(features.compute(data))
    position = {int(i): n for n, i in enumerate(data.ids.tolist())}
    scenarios = {
        "amount_outlier": world.outliers,
        "issuance_burst": world.burst_invoices,
        "near_limit": world.near_invoices,
        "forgery_probing": checker.probed,
        "duplicate_reimbursement": checker.duplicated,
    }
    anomalous = set().union(*scenarios.values())
    untouched = [
        i for i, s in world.status.items() if s == "normal" and i not in world.used and i not in anomalous
    ]
    ordinary = (set(world.controls) | set(world.rng.sample(untouched, min(len(untouched), 3000)))) - anomalous
    ordinary_scores = [raw[position[i]] for i in ordinary]
    report.anomalous, report.ordinary = len(anomalous), len(ordinary)
    if not anomalous or not ordinary:
        return

    def auc(ids: set[int]) -> float:
        scores = [raw[position[i]] for i in ids] + ordinary_scores
        truth = [1] * len(ids) + [0] * len(ordinary_scores)
        return float(roc_auc_score(truth, scores))

    report.auc = auc(anomalous)
    report.auc_by_scenario = {name: round(auc(ids), 3) for name, ids in scenarios.items() if ids}


# --- the whole run -----------------------------------------------------------------------------


def run(invoices: int = 10_000, seed: int = 1, using: Harness | None = None, force: bool = False) -> Report:
    """Evaluate on the current database, which must hold no invoices and no accounts (``force``:
    whatever it holds; the scenarios' fraud is written into it)."""
    if not force and holds_data():
        raise NotEmpty("the database holds invoices or accounts: evaluate in a fresh one (or --force)")
    using = using or harness()
    started = time.perf_counter()
    report = Report(invoices, seed)
    rng = random.Random(seed)
    today = timezone.localdate()
    using.fill(invoices, seed=seed, end_date=today)
    world = World(rng, today)
    sizes = _sizes(invoices)
    inject_registry(world, sizes)
    training = learning.train()
    report.training_seconds = training.seconds
    ordinary, fraud = _people(world, sizes)
    checker = Checker(world, using, report)
    first, second = history_jobs(world, sizes, ordinary, fraud)
    for job in first + second:
        for step in job:
            checker.check(step)
    learning.train()  # now with the history's features
    model_auc(world, checker, report)
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["TARGET", "Harness", "NotEmpty", "Report", "harness", "holds_data", "run"]
