"""Display labels: every code a page may show has words, in Chinese and (where declared) English."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils.translation import override

import yanpiao
from yanpiao.fapiao import compare, types
from yanpiao.fapiao.invoice import STATUSES
from yanpiao.security import qr_signature
from yanpiao.web import labels

CJK = re.compile(r"[\u4e00-\u9fff]")
# Where the findings are made, and the rules whose name is put together at run time.
FINDING_SOURCES = ("fapiao", "intake", "verification", "security/qr_signature.py")
COMPOSED_RULES = [
    *(f"{field}.{kind}" for field in ("number", "code") for kind in ("length", "format")),
    *(f"check_code.{kind}" for kind in ("length", "format")),
    *(f"tax_id.{kind}" for kind in ("length", "format", "checksum", "component")),
    *(f"{field}.{kind}" for field in ("amount", "total") for kind in ("format", "zero", "negative")),
    *(f"arithmetic.{rule}" for rule in ("exempt_tax", "line_tax", "cumulative_tax", "amount_sum", "tax_sum", "total")),
]  # fmt: skip


def emitted_rules() -> set[str]:
    """Every rule written out where a finding is made (``Finding("qr.crc", …)``, ``_error("code.required", …)``)."""
    root = Path(yanpiao.__file__).parent
    call = re.compile(r'(?:Finding|_error|_warning)\(\s*"([a-z_]+\.[a-z_.]+)"')
    files = [path for source in FINDING_SOURCES for path in sorted((root / source).glob("**/*.py"))]
    files += [root / source for source in FINDING_SOURCES if source.endswith(".py")]
    return {rule for path in files for rule in call.findall(path.read_text())}


def test_the_rules_are_found_where_findings_are_made():
    assert {"document.test_environment", "consistency.qr_text", "amount_words.mismatch", "qr.signature"} <= (
        emitted_rules()
    )


@pytest.mark.parametrize("rule", sorted(emitted_rules() | set(COMPOSED_RULES)))
def test_every_finding_rule_is_explained_in_words(rule):
    explanation = labels.finding(rule)
    assert rule in labels.FINDINGS and CJK.search(explanation) and rule not in explanation
    with override("en"):  # untranslated, it still reads as words, never as the rule
        assert labels.finding(rule) and rule not in labels.finding(rule)


def test_a_rule_without_an_explanation_is_named_by_its_field():
    assert labels.finding("number.unheard_of", "number") == "发票号码有误。"
    assert labels.finding("seller.unheard_of") == "销售方有误。"


@pytest.mark.parametrize("outcome", compare.OUTCOMES)
def test_every_outcome_has_a_name_an_explanation_and_a_colour(outcome):
    assert CJK.search(labels.outcome(outcome)) and CJK.search(labels.outcome_explanation(outcome))
    assert labels.tone(outcome) in ("good", "bad", "warning")


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_has_a_name(status):
    assert CJK.search(labels.status(status))


@pytest.mark.parametrize("signature", qr_signature.STATUSES)
def test_every_qr_signature_status_has_a_name(signature):
    assert CJK.search(labels.signature(signature))


@pytest.mark.parametrize("type_code", types.NAMES)
def test_every_type_is_named_in_both_languages(type_code):
    assert labels.invoice_type(type_code) == types.NAMES[type_code]
    with override("en"):
        assert labels.invoice_type(type_code) == types.ENGLISH_NAMES[type_code]


@pytest.mark.parametrize(
    ("field", "chinese", "english"),
    [
        ("issue_date", "开票日期", "Issue date"),
        ("seller.tax_id", "销售方纳税人识别号", "Seller tax ID"),
        ("items[0].amount", "第1行金额", "Line 1 amount"),
        ("items[2].tax_rate", "第3行税率", "Line 3 tax rate"),
        ("item.name", "项目名称", "Item name"),
        ("red_letter_of.number", "被红冲发票发票号码", "Reversed invoice invoice number"),
        ("total_in_words", "价税合计（大写）", "Total in words"),
    ],
)
def test_a_field_is_labelled_by_its_declaration_in_both_languages(field, chinese, english):
    assert labels.field(field) == chinese
    with override("en"):
        assert labels.field(field) == english


@pytest.mark.parametrize(
    ("value", "field", "shown"),
    [
        ("0.06", "items[0].tax_rate", "6%"),
        ("exempt", "tax_rate", "免税"),
        ("31", "type", "电子发票（增值税专用发票）"),
        ("red_flushed", "status", "已红冲"),
        ("***", "type", "***"),
        (None, "total", "—"),
        ("10.70", "total", "10.70"),
    ],
)
def test_a_value_is_shown_as_its_field_reads(value, field, shown):
    assert labels.field_value(value, field) == shown


def test_a_moment_is_shown_in_beijing_time_with_the_zone_named():
    utc = datetime.datetime(2026, 6, 30, 6, 5, tzinfo=datetime.UTC)
    assert labels.moment(utc) == "2026-06-30 14:05 (北京时间)"
    assert labels.moment("2026-06-30T06:05:00+00:00") == "2026-06-30 14:05 (北京时间)"
