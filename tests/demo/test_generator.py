"""The demo generator: realistic, valid, deterministic invoices."""

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.processes import HAS_PROC, kill_all, stat, survivors_of_killing
from yanpiao.demo import catalogue
from yanpiao.demo.generator import generate
from yanpiao.fapiao import amount_words, arithmetic, types, uscc, validation
from yanpiao.fapiao.findings import errors
from yanpiao.fapiao.invoice import REVERSED, to_json

END = datetime.date(2026, 6, 30)
SAMPLE_SIZE = 6_000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample():
    return list(generate(SAMPLE_SIZE, seed=11, end_date=END))


def share(invoices, predicate) -> float:
    return sum(1 for inv in invoices if predicate(inv)) / len(invoices)


def digest(invoices) -> str:
    text = json.dumps([to_json(inv) for inv in invoices], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# --- determinism -------------------------------------------------------------------------------


def test_the_same_seed_and_end_date_give_the_same_invoices():
    assert list(generate(400, seed=5, end_date=END)) == list(generate(400, seed=5, end_date=END))


def test_another_seed_or_end_date_gives_other_invoices():
    first = list(generate(400, seed=5, end_date=END))
    assert first != list(generate(400, seed=6, end_date=END))
    assert first != list(generate(400, seed=5, end_date=datetime.date(2026, 5, 31)))


def test_invoices_do_not_depend_on_hash_randomisation():
    script = (
        "import datetime, hashlib, json\n"
        "from yanpiao.fapiao.invoice import REVERSED, to_json\n"
        "from yanpiao.demo.generator import generate\n"
        "invoices = generate(300, seed=9, end_date=datetime.date(2026, 6, 30))\n"
        "text = json.dumps([to_json(i) for i in invoices], ensure_ascii=False, sort_keys=True)\n"
        "print(hashlib.sha256(text.encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert digests == {digest(generate(300, seed=9, end_date=END))}


def test_exactly_count_invoices_even_when_the_last_would_need_a_red_letter():
    for count in (0, 1, 2, 37):
        assert len(list(generate(count, seed=3, end_date=END))) == count


# --- realism -----------------------------------------------------------------------------------


def test_every_invoice_validates_without_errors(sample):
    problems = {inv.key: errors(validation.validate_invoice(inv, END)) for inv in sample}
    assert {key: found for key, found in problems.items() if found} == {}


def test_every_type_appears_in_roughly_the_intended_share(sample):
    counts = Counter(inv.type for inv in sample)
    assert set(counts) == set(types.NAMES)
    for type_code, percent in catalogue.TYPE_WEIGHTS.items():
        assert abs(counts[type_code] / len(sample) * 100 - percent) < max(2.0, percent * 0.2), type_code


def test_statuses_come_in_realistic_proportions(sample):
    statuses = Counter(inv.status for inv in sample)
    assert 0.93 <= statuses["normal"] / len(sample) <= 0.97
    assert 0.01 <= statuses["voided"] / len(sample) <= 0.03
    assert 0.01 <= statuses["red_flushed"] / len(sample) <= 0.03
    assert 0.001 <= statuses["abnormal"] / len(sample) <= 0.012
    assert 0.001 <= statuses["partially_red_flushed"] / len(sample) <= 0.012
    assert {inv.type for inv in sample if inv.status == "voided"} <= catalogue.PAPER


def test_red_letter_invoices_follow_and_reverse_their_originals(sample):
    reversed_originals = [i for i, inv in enumerate(sample) if inv.status in REVERSED]
    red_letters = [i for i, inv in enumerate(sample) if inv.red_letter_of]
    assert reversed_originals and [i + 1 for i in reversed_originals] == red_letters
    for i in reversed_originals:
        original, red = sample[i], sample[i + 1]
        assert red.red_letter_of == original.key and red.key != original.key
        assert red.status == "normal"
        assert (red.type, red.seller, red.buyer) == (original.type, original.seller, original.buyer)
        assert original.issue_date <= red.issue_date <= END
        assert red.amount < 0 and red.total < 0 and red.tax <= 0
        if original.status == "red_flushed":
            assert (red.amount, red.tax, red.total) == (-original.amount, -original.tax, -original.total)
        else:
            assert -red.total < original.total
        assert red.total_in_words.startswith(amount_words.NEGATIVE_PREFIX)
        if types.is_digital(red.type):
            assert red.remarks == f"被红冲蓝字数电发票号码：{original.number}"


def test_codes_numbers_and_check_codes_follow_the_beijing_scheme(sample):
    for inv in sample:
        yy = f"{inv.issue_date.year % 100:02d}"
        if inv.type in (types.SPECIAL_VAT, types.ORDINARY_VAT):
            kind_copies = "13" if inv.type == types.SPECIAL_VAT else "32"
            assert re.fullmatch(rf"1100\d\d[1-9]{kind_copies}0", inv.code), inv.code
        elif not types.is_digital(inv.type):
            kind = {"10": "11", "11": "0[67]", "14": "12", "20": "13"}[inv.type]
            assert re.fullmatch(rf"01100\d\d\d{{3}}{kind}", inv.code), inv.code
        if types.is_digital(inv.type):
            assert inv.code == "" and inv.machine_no == ""
            assert re.fullmatch(rf"{yy}112\d{{15}}", inv.number), inv.number
        else:
            code_year = inv.code[4:6] if len(inv.code) == 10 else inv.code[5:7]
            assert code_year in (yy, f"{inv.issue_date.year % 100 - 1:02d}")
            assert re.fullmatch(r"\d{8}", inv.number) and re.fullmatch(r"\d{12}", inv.machine_no)
        if inv.type in types.WITH_CHECK_CODE:
            assert re.fullmatch(r"\d{20}", inv.check_code)
        else:
            assert inv.check_code == ""


def test_codes_and_numbers_are_unique(sample):
    keys = [inv.key for inv in sample]
    assert len(set(keys)) == len(keys)


def test_issue_dates_lie_in_the_three_years_before_the_end_date(sample):
    assert all(END - datetime.timedelta(days=3 * 366) <= inv.issue_date <= END for inv in sample)
    assert all(inv.issue_date >= datetime.date(2023, 1, 1) for inv in sample if types.is_digital(inv.type))
    older = [inv for inv in sample if not types.is_digital(inv.type) and not inv.red_letter_of]
    assert share(older, lambda inv: inv.issue_date < datetime.date(2025, 1, 1)) > 0.8


def test_parties_have_valid_tax_ids_and_real_looking_names(sample):
    for inv in sample:
        assert uscc.is_valid(inv.seller.tax_id)
        assert re.fullmatch(r"北京\w+(有限公司|有限责任公司|股份有限公司)", inv.seller.name)
        assert inv.seller.address.startswith("北京市") and inv.seller.phone.startswith("010-")
        assert inv.seller.bank.endswith("支行") and inv.seller.account.isdigit()
        if inv.buyer.tax_id:
            assert uscc.is_valid(inv.buyer.tax_id)
        else:
            assert re.fullmatch(r"\w{2,3}", inv.buyer.name)  # a private person: 张伟
    assert share(sample, lambda inv: not inv.buyer.tax_id) > 0.1
    assert all(inv.buyer.tax_id and inv.buyer.bank for inv in sample if inv.type in types.SPECIAL)


def test_lines_carry_tax_categories_and_exact_arithmetic(sample):
    rates = Counter()
    for inv in sample:
        assert 1 <= len(inv.items) <= 3
        for item in inv.items:
            assert re.fullmatch(r"\*[^*]+\*[^*]+", item.name)
            assert re.fullmatch(r"\d{19}", item.tax_category_code)
            assert item.tax == arithmetic.line_tax(item.amount, item.tax_rate)
            if item.quantity is not None:
                assert item.quantity * item.unit_price == item.amount
            rates[item.tax_rate] += 1
        assert inv.amount == sum(item.amount for item in inv.items)
        assert inv.tax == sum(item.tax for item in inv.items)
        assert inv.total == inv.amount + inv.tax
        assert inv.total_in_words == amount_words.to_words(inv.total)
    assert {"0.13", "0.09", "0.06", "0.03", "0.01", "exempt"} <= set(rates)
    tolls = [item for inv in sample if inv.type == types.TOLL for item in inv.items]
    assert {item.tax_category_code for item in tolls} == {"3040502020301000000"}


GENERATOR_PARENT = """
import datetime, time
from yanpiao.demo.generator import GeneratorProcess, IssuedNumbers
process = GeneratorProcess(1_000_000, 1, datetime.date(2026, 6, 30), IssuedNumbers())
print(process.process.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not HAS_PROC, reason="reads processes from /proc")
def test_the_generator_process_ends_with_a_killed_fill():
    parent = subprocess.Popen([sys.executable, "-c", GENERATOR_PARENT], stdout=subprocess.PIPE, text=True)
    generator = {}
    try:
        pid = int(parent.stdout.readline())
        generator = {pid: stat(pid)[2]}
        assert survivors_of_killing(parent, generator) == [], "the generator process outlived the fill"
    finally:
        kill_all(parent, generator)
