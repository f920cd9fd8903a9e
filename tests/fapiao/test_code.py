"""发票代码: form, parts, scheme warnings and the type it implies (docs/invoice-facts.md §1.1, §1.2)."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.exceptions import InvalidFormat, InvalidLength

from yanpiao.fapiao import code

TODAY = datetime.date(2026, 5, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1100174320", "1100174320"),
        (" 0110 0160 5111 ", "011001605111"),
        ("４３００１７１１３０", "4300171130"),
    ],
)
def test_validate_compacts(raw, expected):
    assert code.validate(raw) == expected
    assert code.is_valid(raw)


@pytest.mark.parametrize("raw", ["11001743", "11001743201", "1100174320123", ""])
def test_wrong_length(raw):
    with pytest.raises(InvalidLength, match="10 or 12 digits"):
        code.validate(raw)
    assert not code.is_valid(raw)


@pytest.mark.parametrize("raw", ["11001743A0", "0110016051-1", "¹¹⁰⁰¹⁷⁴³²⁰x", "一一〇〇一七四三二〇"])
def test_not_digits(raw):
    with pytest.raises(InvalidFormat, match="digits only"):
        code.validate(raw)


@pytest.mark.parametrize(
    ("raw", "region", "year", "batch", "kind", "copies"),
    [
        ("1100174320", "1100", 2017, "4", "04", 2),
        ("4300171130", "4300", 2017, "1", "01", 3),
        # NumberValidators reads position 8 as the batch; the batch is position 7.
        ("3100153130", "3100", 2015, "3", "01", 3),
        ("4403171130", "4403", 2017, "1", "01", 3),
        ("4401171130", "4400", 2017, "1", "01", 3),
    ],
)
def test_parse_10_digits(raw, region, year, batch, kind, copies):
    info = code.parse(raw)
    assert (info.length, info.region, info.year, info.batch, info.kind, info.copies) == (
        10,
        region,
        year,
        batch,
        kind,
        copies,
    )
    assert info.amount_version == raw[9]
    assert not info.is_blockchain


@pytest.mark.parametrize(
    ("raw", "region", "year", "batch", "kind"),
    [
        ("011001605111", "1100", 2016, "051", "10"),
        ("044031700111", "4403", 2017, "001", "10"),
        ("065122100313", "6500", 2021, "003", "20"),
        ("033001800111", "3300", 2018, "001", "10"),
        ("050003523456", "5000", 2035, "234", None),
    ],
)
def test_parse_12_digits(raw, region, year, batch, kind):
    info = code.parse(raw)
    assert (info.length, info.region, info.year, info.batch, info.kind) == (12, region, year, batch, kind)
    assert info.copies is None
    assert not info.is_blockchain


@pytest.mark.parametrize(("raw", "region"), [("144031909110", "4403"), ("153002209100", "5300")])
def test_parse_blockchain(raw, region):
    info = code.parse(raw)
    assert info.is_blockchain
    assert info.region == region
    assert info.kind == "10"


@pytest.mark.parametrize(("four", "region"), [("2102", "2102"), ("3302", "3302"), ("3502", "3502"),
                                              ("3702", "3702"), ("4403", "4403"), ("3703", "3700"), ("6512", "6500")])  # fmt: skip
def test_region_as_the_platform_derives_it(four, region):
    assert code.parse(four + "171130").region == region
    assert code.parse("0" + four + "1700111").region == region


@pytest.mark.parametrize(
    ("ending", "kind"),
    [("11", "10"), ("12", "14"), ("13", "20"), ("04", "04"), ("05", "04"), ("06", "11"), ("07", "11"),
     ("01", None), ("99", None)],
)  # fmt: skip
def test_kind_of_12_digit_codes(ending, kind):
    assert code.parse("0110017001" + ending).kind == kind


@pytest.mark.parametrize(
    ("digit", "kind"),
    [("1", "01"), ("5", "01"), ("3", "04"), ("6", "04"), ("2", None), ("7", None), ("0", None), ("9", None)],
)
def test_kind_of_10_digit_codes(digit, kind):
    assert code.parse(f"1100171{digit}20").kind == kind


def test_region_name():
    assert code.parse("1100174320").region_name == "北京"
    assert code.parse("044031700111").region_name == "深圳"
    assert code.parse("9900174320").region_name == ""


def test_code_outside_the_scheme_passes_with_warnings():
    assert code.validate("050003523456") == "050003523456"
    warnings = code.scheme_warnings("050003523456", today=TODAY)
    assert any("2035" in w and "future" in w for w in warnings)
    assert any("unknown kind 56" in w for w in warnings)


@pytest.mark.parametrize(
    "raw",
    ["1100174320", "4300171130", "3100153130", "011001605111", "044031700111", "065122100313", "144031909110",
     "153002209100", "033001800111", "031001700111", "044001500111"],
)  # fmt: skip
def test_known_codes_have_no_warnings(raw):
    assert code.scheme_warnings(raw, today=TODAY) == []


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("9900174320", "unknown province prefix 99"),
        ("0990017001 11".replace(" ", ""), "unknown province prefix 99"),
        ("1100094320", "before 2010"),
        ("1100274320", "2027 is in the future"),
        ("1100174220", "货物运输业增值税专用发票"),
        ("1100174020", "unknown kind digit 0"),
        ("1100174310", "1 copies"),
        ("1100174327", "unknown amount version 7"),
        ("211001700111", "start with 0"),
        ("144031919110", "blockchain"),
        ("144031909111", "blockchain"),
    ],
)
def test_scheme_warnings(raw, fragment):
    warnings = code.scheme_warnings(raw, today=TODAY)
    assert any(fragment in w for w in warnings), warnings
    code.validate(raw)


def test_scheme_warnings_default_to_today():
    next_year = datetime.date.today().year + 1 - 2000
    assert code.scheme_warnings(f"1100{next_year:02d}4320") != []


def test_malformed_code_gives_no_scheme_warnings():
    assert code.scheme_warnings("12", today=TODAY) == []


@pytest.mark.parametrize(
    ("raw_code", "number", "expected"),
    [
        ("", "26427000000375586818", ""),  # 31 or 32: undecidable
        ("011001605111", "12345678", "10"),
        ("1100174320", "40184419", "04"),
        ("4300171130", "02550485", "01"),
        ("065122100313", "12345678", "20"),
        ("011001700112", "12345678", "14"),
        ("011001700106", "12345678", "11"),
        ("1100174220", "12345678", ""),  # withdrawn 货运专票
        ("050003523456", "29342181", ""),
        ("", "28477743", ""),
        ("11001", "28477743", ""),
        ("011001605111", "26427000000375586818", ""),
    ],
)
def test_infer_type(raw_code, number, expected):
    assert code.infer_type(raw_code, number) == expected


@given(
    st.text(alphabet="0123456789", min_size=10, max_size=10)
    | st.text(alphabet="0123456789", min_size=12, max_size=12)
)
def test_every_well_formed_code_parses(raw):
    info = code.parse(raw)
    assert info.length == len(raw)
    province = raw[:2] if len(raw) == 10 else raw[1:3]
    assert len(info.region) == 4 and info.region[:2] == province
    assert 2000 <= info.year <= 2099
    assert isinstance(code.scheme_warnings(raw, today=TODAY), list)


@given(st.text(max_size=20))
def test_scheme_warnings_and_infer_type_never_raise(text):
    assert isinstance(code.scheme_warnings(text, today=TODAY), list)
    assert code.infer_type(text, text) in ("", "01", "04", "10", "11", "14", "20")
