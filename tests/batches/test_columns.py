"""The header names a batch's columns go by: Chinese, English and the aggregators', in any order."""

import pytest

from yanpiao.batches.columns import ALIASES, REQUIRED, field_of, header_map, missing_columns
from yanpiao.batches.rows import FIELDS


def test_every_field_of_a_row_has_its_header_names_and_only_those():
    assert set(ALIASES) == set(FIELDS)
    assert set(REQUIRED) <= set(FIELDS)


@pytest.mark.parametrize(
    "header, field",
    [
        ("发票代码", "code"), ("代码", "code"), ("fpdm", "code"), ("Invoice Code", "code"),
        ("发票号码", "number"), ("号码", "number"), ("FPHM", "number"), ("number", "number"),
        ("开票日期", "issue_date"), ("日期", "issue_date"), ("kprq", "issue_date"), ("Issue Date", "issue_date"),
        ("date", "issue_date"), ("金额", "amount"), ("不含税金额", "amount"), ("金额（不含税）", "amount"),
        ("je", "amount"), ("校验码", "check_code"), ("校验码后六位", "check_code"), ("校验码后6位", "check_code"),
        ("jym", "check_code"), ("check-code", "check_code"), ("价税合计", "total"), ("含税金额", "total"),
        ("金额(含税)", "total"), ("jshj", "total"), ("发票类型", "type"), ("票种", "type"), ("fplx", "type"),
    ],
)  # fmt: skip
def test_a_header_name_is_known_in_chinese_english_and_pinyin(header, field):
    assert field_of(header) == field


@pytest.mark.parametrize(
    "header", ["  发票 号码 ", "*发票号码", "发票号码：", "ＦＰＨＭ", "Number", "NUMBER"]
)
def test_case_spaces_full_width_characters_and_a_required_mark_do_not_matter(header):
    assert field_of(header) == "number"


@pytest.mark.parametrize("header", ["序号", "备注", "销售方名称", "No.", "", None, 3])
def test_other_columns_name_no_field(header):
    assert field_of(header) is None


def test_columns_are_found_in_any_order_and_in_either_language():
    chinese = ["价税合计", "备注", "开票日期", "发票号码", "发票代码"]
    english = ["total", "remarks", "issue_date", "number", "code"]
    expected = {0: "total", 2: "issue_date", 3: "number", 4: "code"}
    assert header_map(chinese) == header_map(english) == expected


def test_when_two_columns_name_one_field_the_first_is_read():
    assert header_map(["号码", "发票号码", "金额", "不含税金额"]) == {0: "number", 2: "amount"}


def test_the_number_the_date_and_one_amount_field_are_required_the_code_is_not():
    assert missing_columns(["number", "issue_date", "check_code"]) == []
    assert missing_columns(["number", "issue_date", "total"]) == []


def test_missing_columns_are_named_in_chinese_and_english():
    assert missing_columns(["code"]) == [
        "发票号码 (number)",
        "开票日期 (issue_date)",
        "金额、校验码或价税合计 (amount, check_code or total)",
    ]
