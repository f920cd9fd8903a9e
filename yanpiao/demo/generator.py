"""The demo generator: realistic, deterministic invoices to try Yanpiao on (pure, no database).

:func:`generate` yields invoices of every type of the invoice JSON (01, 04, 10, 11, 14, 20, 31,
32) issued in Beijing within about three years before ``end_date``: sellers and buyers with
valid 统一社会信用代码, lines with real 税收分类编码 and rates, statuses in realistic
proportions, and red-letter invoices right after the invoices they reverse.  The same
``count``, ``seed`` and ``end_date`` always give the same invoices; only ``random.Random(seed)``
(and generators seeded from it) choose anything.  What it draws from is in
:mod:`yanpiao.demo.catalogue`.

Uniqueness of (code, number): a run continues after the highest numbers already issued
(:class:`IssuedNumbers`, read from the registry by the caller).  数电 numbers ``yy`` + ``11`` +
``2`` + a 15-digit sequence take a sequence above every sequence of that form; pre-数电 numbers
are counted per 发票代码 from above the highest number issued under that code.  So a second
run, with any seed, never collides with the first.

Big runs generate in a second process (:class:`GeneratorProcess`) while the caller writes.

>>> import datetime
>>> invoices = list(generate(50, seed=7, end_date=datetime.date(2026, 6, 30)))
>>> len(invoices), invoices == list(generate(50, seed=7, end_date=datetime.date(2026, 6, 30)))
(50, True)
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import multiprocessing
import os
import queue
import random
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from yanpiao import children
from yanpiao.demo.catalogue import (
    ABNORMAL,
    BANKS,
    BEIJING,
    BEIJING_CITY,
    CITIES,
    CITY_BANKS,
    CODE_KIND,
    CODES_PER_YEAR,
    COMPANY_SUFFIXES,
    DIGITAL_CHANNEL,
    DIGITAL_ERA,
    FIRST_DAY,
    GIVEN_NAMES,
    INDUSTRIES,
    LINE_COUNT_WEIGHTS,
    MACHINE_PREFIXES,
    PAPER,
    PARTIAL_RED_FLUSH,
    PERSON_BUYER,
    PRE_DIGITAL_BEFORE_ERA,
    PRODUCTS,
    RED_FLUSH,
    REMARK_SHARE,
    SEQUENCE_START,
    SHORT_BUYER,
    SMALL_SCALE_EXEMPT_SHARE,
    SMALL_SCALE_SHARE,
    SURNAMES,
    TOLL_INDUSTRY,
    TRADE_NAMES,
    TYPE_WEIGHTS,
    VOID_PAPER,
    WINDOW_DAYS,
    City,
    Industry,
    Product,
)
from yanpiao.fapiao import amount_words, types, uscc
from yanpiao.fapiao.invoice import REVERSED, Invoice, InvoiceKey, Item, Party

ZERO = Decimal("0.00")
WORDS_CACHE_SIZE = 200_000

# --- what the registry already holds -----------------------------------------------------------


@dataclass(frozen=True)
class IssuedNumbers:
    """The highest numbers already issued: generated numbers continue above them.

    ``digital_sequence`` is the highest 15-digit sequence of a 数电 number ``yy112…``;
    ``by_code`` the highest 8-digit number registered under each 发票代码.
    """

    digital_sequence: int = 0
    by_code: Mapping[str, int] = field(default_factory=dict)


# --- parties -----------------------------------------------------------------------------------
#
# Parties live in one list; sellers, buyers and the invoice records refer to them by position,
# so that records stay small and cheap to hand from the generator process to the writer.


@dataclass(frozen=True)
class Seller:
    party: int
    products: tuple[Product, ...]
    small_scale: bool  # 小规模纳税人: 3% (1% from 2023) instead of the general rate
    drawers: tuple[str, ...]
    payee: str
    reviewer: str
    machine_no: str  # 机器编号 of its tax-control device (pre-数电 invoices print it)


@dataclass(frozen=True)
class Buyer:
    party: int  # name, tax ID, address, phone, bank and account: as 专票 print them
    short: int  # name and tax ID only, as many 普票 print them


def _weighted(rng: random.Random, choices):
    """One of ``(value, weight)`` pairs."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


class _People:
    """Builds the parties from one random generator; no company name or 组织机构代码 repeats."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.parties: list[Party] = []
        self.company_names: set[str] = set()
        self.org_codes: set[str] = set()

    def add(self, party: Party) -> int:
        self.parties.append(party)
        return len(self.parties) - 1

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def company_name(self, city: City, industry: Industry) -> str:
        """``city`` + 字号 + industry + legal form, e.g. 北京京华数据科技有限公司."""
        while True:
            trade_name = self.rng.choice(TRADE_NAMES)
            if self.rng.random() < 0.3:
                trade_name += self.rng.choice(TRADE_NAMES)
            suffix = _weighted(self.rng, COMPANY_SUFFIXES)
            name = city.name + trade_name + self.rng.choice(industry.words) + suffix
            if name not in self.company_names:
                self.company_names.add(name)
                return name

    def tax_id(self, region: str) -> str:
        """A valid 统一社会信用代码 of a company (9 工商, 1 企业) registered in ``region``."""
        while True:
            if self.rng.random() < 0.7:  # registered since 2015: 组织机构代码 starting MA
                body = "MA" + "".join(self.rng.choices(uscc.ALPHABET, k=6))
            else:
                body = f"{self.rng.randrange(10**7, 10**8):08d}"
            if body not in self.org_codes:
                break
        self.org_codes.add(body)
        first17 = "91" + region + body + uscc.calc_org_check_digit(body)
        return first17 + uscc.calc_check_digit(first17)

    def address(self, city: City, district: str, streets: tuple[str, ...]) -> str:
        rng = self.rng
        address = f"{city.address_prefix}{district}{rng.choice(streets)}{rng.randint(1, 300)}号"
        if rng.random() < 0.5:
            address += f"{rng.randint(1, 20)}号楼{rng.randint(1, 25)}{rng.randint(1, 30):02d}室"
        return address

    def phone(self, city: City) -> str:
        return f"{city.area_code}-{self.rng.choice('568')}{self.rng.randrange(10**7):07d}"

    def bank_account(self, city: City, district: str) -> tuple[str, str]:
        """开户行 (a branch in the district) and 账号."""
        local = CITY_BANKS.get(city.name, ())
        bank, prefix, length, _ = _weighted(self.rng, [(b, b[3]) for b in (*BANKS, *local)])
        branch = district.removesuffix("新区").removesuffix("区")
        digits = length - len(prefix)
        account = prefix + f"{self.rng.randrange(10**digits):0{digits}d}"
        if any(bank == b[0] for b in local):  # a city's own bank: 北京银行海淀支行
            return f"{bank}{branch}支行", account
        return f"{bank}{city.name}{branch}支行", account

    def company(self, city: City, industry: Industry) -> Party:
        district, region, streets = self.rng.choice(city.districts)
        bank, account = self.bank_account(city, district)
        return Party(
            name=self.company_name(city, industry),
            tax_id=self.tax_id(region),
            address=self.address(city, district, streets),
            phone=self.phone(city),
            bank=bank,
            account=account,
        )

    def seller(self, industry: Industry, small_scale: bool) -> Seller:
        rng = self.rng
        return Seller(
            party=self.add(self.company(BEIJING_CITY, industry)),
            products=tuple(PRODUCTS[p] for p in industry.products),
            small_scale=small_scale,
            drawers=tuple(self.person() for _ in range(rng.randint(1, 3))),
            payee=self.person() if rng.random() < 0.6 else "",
            reviewer=self.person() if rng.random() < 0.5 else "",
            machine_no=rng.choice(MACHINE_PREFIXES) + f"{rng.randrange(10**8):08d}",
        )

    def sellers(self, count: int) -> list[Seller]:
        """Sellers of every industry first, then of industries drawn by weight."""
        weighted = [(i, i.weight) for i in INDUSTRIES]
        industries = [*INDUSTRIES, *(_weighted(self.rng, weighted) for _ in range(count - len(INDUSTRIES)))]
        return [self.seller(industry, self.rng.random() < SMALL_SCALE_SHARE) for industry in industries]

    def buyers(self, count: int) -> list[Buyer]:
        cities = [(c, c.weight) for c in CITIES]
        industries = [(i, i.weight) for i in INDUSTRIES]
        buyers = []
        for _ in range(count):
            party = self.company(_weighted(self.rng, cities), _weighted(self.rng, industries))
            buyers.append(Buyer(self.add(party), self.add(Party(name=party.name, tax_id=party.tax_id))))
        return buyers

    def persons(self, count: int) -> list[int]:
        return [self.add(Party(name=self.person())) for _ in range(count)]


def _pool_sizes(count: int) -> tuple[int, int, int]:
    """Sellers, company buyers and private persons: 2,000 / 20,000 / 5,000 for a million invoices."""
    return (
        min(2_000, max(30, count // 500)),
        min(20_000, max(200, count // 50)),
        min(5_000, max(50, count // 200)),
    )


# --- money in cents ----------------------------------------------------------------------------


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2) if cents else ZERO


def _tax_cents(amount: int, rate: int) -> int:
    """``amount`` × ``rate`` %, rounded half away from zero, as ``arithmetic.line_tax`` does."""
    tax = (abs(amount) * rate + 50) // 100
    return tax if amount >= 0 else -tax


def _net_cents(gross: int, rate: int) -> int:
    """The amount excl. tax of a positive price incl. tax: gross / (1 + rate), rounded half up."""
    return (200 * gross + 100 + rate) // (200 + 2 * rate)


RATE_TEXT = {
    rate: format(Decimal(rate).scaleb(-2).normalize(), "f") for rate in (1, 3, 5, 6, 9, 10, 11, 13, 16, 17)
}
RATE_PERCENT = {text: rate for rate, text in RATE_TEXT.items()}
EXEMPT = "exempt"
SMALL_SCALE_ONE_PERCENT = datetime.date(2023, 1, 1)
SMALL_SCALE_EXEMPT = (datetime.date(2022, 4, 1), datetime.date(2022, 12, 31))
RATE_CUTS = ((datetime.date(2018, 5, 1), {13: 17, 9: 11}), (datetime.date(2019, 4, 1), {13: 16, 9: 10}))


def _line_rate(product: Product, small_scale: bool, day: datetime.date) -> int | None:
    """The rate in per cent on ``day``, or None for 免税."""
    if small_scale:
        if SMALL_SCALE_EXEMPT[0] <= day <= SMALL_SCALE_EXEMPT[1]:
            return None
        return 1 if day >= SMALL_SCALE_ONE_PERCENT else 3
    for until, old_rates in RATE_CUTS:
        if day < until:
            return old_rates.get(product.rate, product.rate)
    return product.rate


# --- records: invoices in compact form ---------------------------------------------------------


class _Line(NamedTuple):
    """A line with money in cents."""

    name: str
    tax_category_code: str
    spec: str
    unit: str
    quantity: int | None
    unit_price: int | None
    amount: int
    tax_rate: str
    tax: int


class _Record(NamedTuple):
    """An invoice with money in cents, the issue date as an ordinal and parties by position."""

    type: str
    code: str
    number: str
    issue_date: int
    check_code: str
    machine_no: str
    seller: int
    buyer: int
    lines: tuple[_Line, ...]
    amount: int
    tax: int
    total_in_words: str
    remarks: str
    drawer: str
    payee: str
    reviewer: str
    red_letter_of: tuple[str, str] | None
    status: str


def _build(record: _Record, parties: list[Party]) -> Invoice:
    """The invoice a record stands for."""
    red = record.red_letter_of
    return Invoice(
        type=record.type,
        code=record.code,
        number=record.number,
        issue_date=datetime.date.fromordinal(record.issue_date),
        check_code=record.check_code,
        machine_no=record.machine_no,
        seller=parties[record.seller],
        buyer=parties[record.buyer],
        items=tuple(
            Item(
                name=line.name,
                amount=_money(line.amount),
                tax_rate=line.tax_rate,
                tax=_money(line.tax),
                tax_category_code=line.tax_category_code,
                spec=line.spec,
                unit=line.unit,
                quantity=None if line.quantity is None else Decimal(line.quantity),
                unit_price=None if line.unit_price is None else _money(line.unit_price),
            )
            for line in record.lines
        ),
        amount=_money(record.amount),
        tax=_money(record.tax),
        total=_money(record.amount + record.tax),
        total_in_words=record.total_in_words,
        remarks=record.remarks,
        drawer=record.drawer,
        payee=record.payee,
        reviewer=record.reviewer,
        red_letter_of=None if red is None else InvoiceKey(*red),
        status=record.status,
    )


# --- the generator -----------------------------------------------------------------------------


def _cumulative(weights: Mapping[str, int]) -> tuple[list[str], list[int]]:
    return list(weights), list(itertools.accumulate(weights.values()))


class _Generator:
    """The pools, counters and random generator of one run.

    Draws in the hot path use ``random()`` directly: ``randrange`` and ``randint`` cost several
    times more, and a million invoices take tens of millions of draws.
    """

    def __init__(self, count: int, seed: int, end_date: datetime.date, issued: IssuedNumbers):
        self.count = count
        self.seed = seed
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.end = end_date
        self.issued = issued
        people = _People(random.Random(f"{seed}/parties"))
        seller_count, buyer_count, person_count = _pool_sizes(count)
        self.sellers = people.sellers(seller_count)
        self.toll_sellers = [people.seller(TOLL_INDUSTRY, small_scale=False) for _ in range(4)]
        self.buyers = people.buyers(buyer_count)
        self.persons = people.persons(person_count)
        self.parties = people.parties
        self.types, self.type_cumulative = _cumulative(TYPE_WEIGHTS)
        self.ranges = {t: self._date_ranges(t) for t in TYPE_WEIGHTS}
        self.sequence = max(issued.digital_sequence, self.rng.randrange(*SEQUENCE_START))
        self.codes: dict[tuple[str, int], list[str]] = {}
        self.next_number: dict[str, int] = {}
        self.words_cache: dict[int, str] = {}

    def records(self) -> Iterator[_Record]:
        """``count`` records, each red-letter invoice right after the invoice it reverses."""
        emitted = 0
        while emitted < self.count:
            record = self.invoice(can_reverse=emitted + 1 < self.count)
            yield record
            emitted += 1
            if record.status in REVERSED:
                yield self.red_letter(record)
                emitted += 1

    # drawing

    def pick(self, choices):
        return choices[int(self.random() * len(choices))]

    def between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def digits(self, count: int) -> str:
        return f"{self.rng.getrandbits(4 * count + 16) % 10**count:0{count}d}"

    # dates

    def _date_ranges(self, type_code: str) -> tuple[tuple[int, int], tuple[int, int] | None]:
        """Ordinal ranges (first, last) of issue dates: the usual one, and the rarer later one."""
        end = self.end.toordinal()
        first = max(end - WINDOW_DAYS, FIRST_DAY.get(type_code, datetime.date.min).toordinal())
        if first > end:  # the type did not exist yet: keep the dates at least plausible
            first = end - WINDOW_DAYS
        if types.is_digital(type_code):
            return (first, end), None
        era = DIGITAL_ERA.toordinal()
        if end < era or first >= era:
            return (first, end), None
        return (first, era - 1), (era, end)

    def issue_date(self, type_code: str) -> datetime.date:
        usual, later = self.ranges[type_code]
        first, last = later if later and self.random() >= PRE_DIGITAL_BEFORE_ERA else usual
        return datetime.date.fromordinal(self.between(first, last))

    # identifiers

    def key(self, type_code: str, day: datetime.date) -> tuple[str, str]:
        if types.is_digital(type_code):
            self.sequence += self.between(1, 40)  # other issuers draw from the same sequence
            return "", f"{day.year % 100:02d}{BEIJING}{DIGITAL_CHANNEL}{self.sequence:015d}"
        year = day.year if self.random() < 0.85 else day.year - 1  # codes are printed ahead
        code = self.pick(self.codes.get((type_code, year)) or self._new_codes(type_code, year))
        number = self.next_number[code]
        if number >= 10**8:
            raise OverflowError(f"发票代码 {code} has run out of 8-digit numbers")
        self.next_number[code] = number + 1
        return code, f"{number:08d}"

    def _new_codes(self, type_code: str, year: int) -> list[str]:
        """The 发票代码 of one type and year, each with the number it starts at."""
        rng = random.Random(f"{self.seed}/{type_code}/{year}")
        yy = f"{year % 100:02d}"
        if type_code in (types.SPECIAL_VAT, types.ORDINARY_VAT):
            kind_copies = "13" if type_code == types.SPECIAL_VAT else "32"
            codes = [f"1100{yy}{batch}{kind_copies}0" for batch in rng.sample(range(1, 10), CODES_PER_YEAR)]
        else:
            codes = [
                f"01100{yy}{batch:03d}{rng.choice(CODE_KIND[type_code])}"
                for batch in rng.sample(range(1, 400), CODES_PER_YEAR)
            ]
        for code in codes:
            start = rng.randrange(100_000, 5_000_000)
            self.next_number[code] = max(start, self.issued.by_code.get(code, 0) + 1)
        self.codes[(type_code, year)] = codes
        return codes

    def check_code(self, type_code: str) -> str:
        return self.digits(20) if type_code in types.WITH_CHECK_CODE else ""

    # parties

    def seller(self, type_code: str) -> Seller:
        pool = self.toll_sellers if type_code == types.TOLL else self.sellers
        return pool[int(len(pool) * self.random() ** 2)]  # a few sellers issue most invoices

    def buyer(self, type_code: str) -> int:
        if self.random() < PERSON_BUYER.get(type_code, 0.0):
            return self.pick(self.persons)
        buyer = self.buyers[int(len(self.buyers) * self.random() ** 1.5)]
        if type_code in types.SPECIAL or self.random() >= SHORT_BUYER:
            return buyer.party
        return buyer.short

    # lines

    def line_count(self) -> int:
        r = self.random() * sum(LINE_COUNT_WEIGHTS)
        for count, weight in enumerate(LINE_COUNT_WEIGHTS, start=1):
            if r < weight:
                return count
            r -= weight
        return len(LINE_COUNT_WEIGHTS)

    def lines(self, type_code: str, seller: Seller, day: datetime.date) -> tuple[_Line, ...]:
        # Small-scale sellers below the monthly threshold issue 普票 free of tax (免征增值税).
        exempt = (
            seller.small_scale and type_code not in types.SPECIAL and self.random() < SMALL_SCALE_EXEMPT_SHARE
        )
        return tuple(
            self.line(self.pick(seller.products), seller.small_scale, day, exempt)
            for _ in range(self.line_count())
        )

    def line(self, product: Product, small_scale: bool, day: datetime.date, exempt: bool = False) -> _Line:
        rate = None if exempt else _line_rate(product, small_scale, day)
        if product.exempt_share and self.random() < product.exempt_share:
            rate = None
        if product.gross_step:
            quantity, amount = 1, self.net_amount(product, rate)
            price = amount
        else:
            quantity = self.between(*product.quantity)
            price = self.between(*product.price)
            amount = quantity * price
        return _Line(
            product.name,
            product.tax_category_code,
            self.pick(product.specs),
            product.unit,
            quantity,
            price,
            amount,
            EXEMPT if rate is None else RATE_TEXT[rate],
            0 if rate is None else _tax_cents(amount, rate),
        )

    def net_amount(self, product: Product, rate: int | None) -> int:
        """The amount excl. tax of a price incl. tax drawn in steps of ``product.gross_step``."""
        step = product.gross_step
        gross = step * self.between(product.price[0] // step, product.price[1] // step)
        return gross if rate is None else _net_cents(gross, rate)

    def toll_lines(self) -> tuple[_Line, ...]:
        """通行费: one line per trip, the plate number in the spec column, no quantity printed."""
        product = PRODUCTS["toll"]
        amount = self.net_amount(product, product.rate)
        plate = f"京{self.pick('ABCEFGHJKLMNPQ')}{self.digits(5)}"
        tax = _tax_cents(amount, product.rate)
        line = _Line(
            product.name,
            product.tax_category_code,
            plate,
            product.unit,
            None,
            None,
            amount,
            RATE_TEXT[product.rate],
            tax,
        )
        return (line,)

    def words(self, total: int) -> str:
        """价税合计（大写）; cached, since prices incl. tax repeat (and to_words is costly)."""
        words = self.words_cache.get(total)
        if words is None:
            if len(self.words_cache) >= WORDS_CACHE_SIZE:
                self.words_cache.clear()
            words = self.words_cache[total] = amount_words.to_words(_money(total))
        return words

    # invoices

    def status(self, type_code: str, can_reverse: bool) -> str:
        r = self.random()
        if type_code in PAPER:
            if r < VOID_PAPER:
                return "voided"
            r -= VOID_PAPER
        if r < ABNORMAL:
            return "abnormal"
        r -= ABNORMAL
        if r < RED_FLUSH:
            return "red_flushed" if can_reverse else "normal"
        r -= RED_FLUSH
        if r < PARTIAL_RED_FLUSH:
            return "partially_red_flushed" if can_reverse else "normal"
        return "normal"

    def remarks(self, day: datetime.date) -> str:
        if self.random() >= REMARK_SHARE:
            return ""
        return f"合同编号：HT{day.year}{self.digits(5)}"

    def invoice(self, can_reverse: bool) -> _Record:
        type_code = self.types[
            bisect.bisect_right(self.type_cumulative, self.random() * self.type_cumulative[-1])
        ]
        day = self.issue_date(type_code)
        seller = self.seller(type_code)
        lines = self.toll_lines() if type_code == types.TOLL else self.lines(type_code, seller, day)
        amount = sum(line.amount for line in lines)
        tax = sum(line.tax for line in lines)
        code, number = self.key(type_code, day)
        digital = types.is_digital(type_code)
        return _Record(
            type=type_code,
            code=code,
            number=number,
            issue_date=day.toordinal(),
            check_code=self.check_code(type_code),
            machine_no="" if digital else seller.machine_no,
            seller=seller.party,
            buyer=self.buyer(type_code),
            lines=lines,
            amount=amount,
            tax=tax,
            total_in_words=self.words(amount + tax),
            remarks=self.remarks(day),
            drawer=self.pick(seller.drawers),
            payee="" if digital else seller.payee,
            reviewer="" if digital else seller.reviewer,
            red_letter_of=None,
            status=self.status(type_code, can_reverse),
        )

    def red_letter(self, original: _Record) -> _Record:
        """The red-letter invoice reversing ``original`` wholly or, if partially red-flushed, in part."""
        if original.status == "red_flushed":
            lines = tuple(_negated(line) for line in original.lines)
        else:
            lines = (self.partial_reversal(self.pick(original.lines)),)
        amount = sum(line.amount for line in lines)
        tax = sum(line.tax for line in lines)
        day = datetime.date.fromordinal(min(self.end.toordinal(), original.issue_date + self.between(1, 60)))
        code, number = self.key(original.type, day)
        return original._replace(
            code=code,
            number=number,
            issue_date=day.toordinal(),
            check_code=self.check_code(original.type),
            lines=lines,
            amount=amount,
            tax=tax,
            total_in_words=self.words(amount + tax),
            remarks=self.red_letter_remarks(original),
            red_letter_of=(original.code, original.number),
            status="normal",
        )

    def partial_reversal(self, line: _Line) -> _Line:
        """Goods returned (销货退回) from a line of several units, else a price reduction (销售折让)."""
        if line.quantity is not None and line.quantity >= 2:
            returned = self.between(1, line.quantity - 1)
            line = line._replace(quantity=-returned, amount=-returned * line.unit_price)
        else:
            reduction = max(1, line.amount * self.between(10, 50) // 100)
            line = line._replace(unit="", quantity=None, unit_price=None, amount=-reduction)
        rate = RATE_PERCENT.get(line.tax_rate)
        return line._replace(tax=0 if rate is None else _tax_cents(line.amount, rate))

    def red_letter_remarks(self, original: _Record) -> str:
        if types.is_digital(original.type):
            return f"被红冲蓝字数电发票号码：{original.number}"
        if original.type in types.SPECIAL:
            return f"开具红字增值税专用发票信息表编号{self.digits(16)}"
        return f"对应正数发票代码:{original.code}号码:{original.number}"


def _negated(line: _Line) -> _Line:
    quantity = None if line.quantity is None else -line.quantity
    return line._replace(quantity=quantity, amount=-line.amount, tax=-line.tax)


def generate(
    count: int, seed: int, end_date: datetime.date, issued: IssuedNumbers | None = None
) -> Iterator[Invoice]:
    """``count`` invoices (red-letter invoices included), each right after the one it reverses."""
    if count < 0:
        raise ValueError("count must not be negative")
    generator = _Generator(count, seed, end_date, issued or IssuedNumbers())
    parties = generator.parties
    for record in generator.records():
        yield _build(record, parties)


# --- the generator process -----------------------------------------------------------------------
#
# Generating takes about a third of the time of a fill, so big fills generate in a second process
# (forked: it needs no set-up, and it touches nothing but the generator).  It sends the party
# list once, then records in chunks through a queue that lets it run a few chunks ahead:
# pickling records is ~20 times cheaper than pickling Invoice objects with their Decimals.

CHUNK = 2_000  # records per message
CHUNKS_AHEAD = 10


def _produce(parent, count, seed, end_date, issued, outbox) -> None:
    """Body of the generator process."""
    children.end_with_parent(parent)
    try:
        started = time.process_time()
        generator = _Generator(count, seed, end_date, issued)
        outbox.put(("parties", generator.parties))
        records = generator.records()
        while chunk := list(itertools.islice(records, CHUNK)):
            outbox.put(("records", chunk))
        outbox.put(("done", time.process_time() - started))
    except BaseException:
        outbox.put(("error", traceback.format_exc()))


class GeneratorProcess:
    """Invoices generated in a second process; ``seconds`` is that process's CPU time."""

    def __init__(self, count, seed, end_date, issued):
        context = multiprocessing.get_context("fork")
        self.queue = context.Queue(maxsize=CHUNKS_AHEAD)
        self.process = context.Process(
            target=_produce, args=(os.getpid(), count, seed, end_date, issued, self.queue), daemon=True
        )
        self.process.start()
        self.finished = False
        self.seconds = 0.0

    def _receive(self):
        while True:
            try:
                kind, content = self.queue.get(timeout=1)
                break
            except queue.Empty:
                if not self.process.is_alive() and self.queue.empty():
                    raise RuntimeError("the demo generator process ended unexpectedly") from None
        if kind == "error":
            raise RuntimeError(f"the demo generator process failed:\n{content}")
        return kind, content

    def invoices(self) -> Iterator[Invoice]:
        _, parties = self._receive()
        while True:
            kind, content = self._receive()
            if kind == "done":
                self.finished, self.seconds = True, content
                return
            for record in content:
                yield _build(record, parties)

    def close(self) -> None:
        """Wait for the process to end; stop it if the writer stopped early."""
        self.process.join(timeout=5 if self.finished else 0)
        if self.process.is_alive():  # it may be waiting for room in the queue
            self.process.terminate()
            self.process.join()
        self.queue.close()


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


__all__ = ["GeneratorProcess", "IssuedNumbers", "can_fork", "generate"]
