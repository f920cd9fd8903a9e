"""The QR payload: parsing, the CRC in both variants, building (docs/invoice-facts.md §2, test vectors §9)."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanpiao.fapiao import qr

# CRC over fields 1-7 including the comma after field 7.
WITH_COMMA = [
    "01,32,,24312000000136634917,0.01,20240514,,1DD6",
    "01,32,,26427000000375586818,10.70,20260430,,FAFB",
    "01,32,,20882408051806541460,0.01,20240805,,649C",
    "01,31,,26442000004359167806,1705400.00,20260421,,8EEF",
    "01,31,,24312000000358032546,633.00,20241118,,16C0",
    "01,04,1100174320,40184419,329.25,20180512,82190984023325258452,8E15,",
    "01,10,033001800111,25672225,76.72,20180610,82076771121721427121,CB32,",
    "01,10,031001700111,91076602,187.18,20170710,61052145051968576568,3977",
    "01,01,4300171130,02550485,10545.43,20180115,,6579,",
]
# CRC over the text without that comma (older e-普票).
WITHOUT_COMMA = [
    "01,10,044001500111,81966722,173.79,20170524,17884534745749991611,BE2D",
    "01,10,050003523456,29342181,104.72,20180613,02418567008427471889,1774,",
]
FABRICATED = [
    "01,32,,25442000000012341234,666.00,20250208,,A6A1",
    "01,31,,24117000000123133001,476.6,20260131,,7001",
]
# The facts quote the 64-hex digest as 00fe434c…5cf7973; the middle is filled in here.
BLOCKCHAIN = (
    "01,10,153002209100,11335527,91530102MA7KNHQC36,459.00,20221102,00fe434c" + "ab" * 24 + "05cf7973"
)


def test_crc16_check_value():
    assert qr.crc16("123456789") == "FEE8"
    assert qr.crc16("") == "0000"


def _prefix(payload):
    return payload.rstrip(",").rsplit(",", 1)[0]


@pytest.mark.parametrize("payload", WITH_COMMA)
def test_crc_over_text_with_the_comma(payload):
    crc = payload.rstrip(",").rsplit(",", 1)[1]
    assert qr.crc16(_prefix(payload) + ",") == crc
    assert qr.crc16(_prefix(payload)) != crc


@pytest.mark.parametrize("payload", WITHOUT_COMMA)
def test_crc_over_text_without_the_comma(payload):
    crc = payload.rstrip(",").rsplit(",", 1)[1]
    assert qr.crc16(_prefix(payload)) == crc
    assert qr.crc16(_prefix(payload) + ",") != crc


@pytest.mark.parametrize("payload", WITH_COMMA + WITHOUT_COMMA)
@pytest.mark.parametrize("trailing", ["", ","])
def test_real_payloads_check(payload, trailing):
    text = payload.rstrip(",") + trailing
    parsed = qr.parse(text)
    assert parsed.crc_valid is True
    assert qr.crc_ok(text)


def test_changed_amount_fails_and_its_own_crc_is_dd54():
    changed = "01,32,,24312000000136634917,0.02,20240514,,1DD6"
    assert qr.parse(changed).crc_valid is False
    assert not qr.crc_ok(changed)
    assert qr.crc16("01,32,,24312000000136634917,0.02,20240514,,") == "DD54"
    assert qr.crc_ok("01,32,,24312000000136634917,0.02,20240514,,DD54")


@pytest.mark.parametrize("payload", FABRICATED)
def test_fabricated_fixtures_fail(payload):
    assert qr.parse(payload).crc_valid is False
    assert not qr.crc_ok(payload)


def test_parse_fields():
    p = qr.parse("01,04,1100174320,40184419,329.25,20180512,82190984023325258452,8E15,")
    assert (p.type, p.code, p.number, p.amount, p.issue_date, p.check_code, p.crc) == (
        "04",
        "1100174320",
        "40184419",
        Decimal("329.25"),
        datetime.date(2018, 5, 12),
        "82190984023325258452",
        "8E15",
    )
    assert p.seller_tax_id == "" and not p.is_blockchain


def test_parse_special_invoice_with_empty_check_code():
    p = qr.parse("01,01,4300171130,02550485,10545.43,20180115,,6579,")
    assert p.check_code == "" and p.amount_field() == "amount"


def test_full_width_commas_spaces_and_lowercase_crc():
    text = " 01， 32，，26427000000375586818 ，10.70，20260430，，fafb "
    p = qr.parse(text)
    assert p.number == "26427000000375586818" and p.crc == "FAFB"
    assert p.crc_valid is True
    assert qr.crc_ok(text)


@pytest.mark.parametrize(
    ("raw", "amount"), [("57", "57.00"), ("6.2", "6.20"), ("64.9", "64.90"), ("-10.70", "-10.70")]
)
def test_amount_forms(raw, amount):
    p = qr.parse(f"01,32,,26427000000375586818,{raw},20260430,,0000")
    assert p.amount == Decimal(amount)
    assert p.amount.as_tuple().exponent == -2


def test_crc_covers_the_amount_as_written():
    signed = "01,32,,26427000000375586818,6.2,20260430,,"
    text = signed + qr.crc16(signed)
    assert qr.parse(text).crc_valid is True
    assert qr.parse(text.replace(",6.2,", ",6.20,")).crc_valid is False


def test_blockchain_form():
    p = qr.parse(BLOCKCHAIN)
    assert p.is_blockchain
    assert (p.type, p.code, p.number, p.seller_tax_id) == (
        "10",
        "153002209100",
        "11335527",
        "91530102MA7KNHQC36",
    )
    assert p.amount == Decimal("459.00") and p.issue_date == datetime.date(2022, 11, 2)
    assert p.check_code == "" and len(p.crc) == 64
    assert p.crc_valid is None
    assert not qr.crc_ok(BLOCKCHAIN)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("02,32,,26427000000375586818,10.70,20260430,,FAFB", "version"),
        ("01,32,,26427000000375586818,10.70,20260430,FAFB", "8 comma-separated fields"),
        ("01,32,,26427000000375586818,10.70,20260430,,FAFB,,", "8 comma-separated fields"),
        ("01,3,,26427000000375586818,10.70,20260430,,FAFB", "type"),
        ("01,32,12345,26427000000375586818,10.70,20260430,,FAFB", "发票代码"),
        ("01,32,,2642700000037558681,10.70,20260430,,FAFB", "发票号码"),
        ("01,32,,26427000000375586818,10.705,20260430,,FAFB", "amount"),
        ("01,32,,26427000000375586818,ten,20260430,,FAFB", "amount"),
        ("01,32,,26427000000375586818,1e3,20260430,,FAFB", "amount"),
        ("01,32,,26427000000375586818,10.70,2026-04-30,,FAFB", "YYYYMMDD"),
        ("01,32,,26427000000375586818,10.70,20260231,,FAFB", "YYYYMMDD"),
        ("01,32,,26427000000375586818,10.70,20260430,123456,FAFB", "校验码"),
        ("01,32,,26427000000375586818,10.70,20260430,,FAFG", "CRC"),
        ("01,32,,26427000000375586818,10.70,20260430,,FAF", "CRC"),
        ("https://bcfp.shenzhen.chinatax.gov.cn/verify?x=1", "fields"),
        ("01,10,153002209100,11335527,91530102MA7KNHQC36,45.9.00,20221102," + "0" * 64, "amount"),
        ("01,10,153002209100,11335527,91530102MA7KNHQC36,459.00,20221102," + "0" * 63, "64 hex digits"),
        ("01,10,153002209100,11335527,91530102MA7KNHQC36,459.00,2022-11-02," + "0" * 64, "YYYYMMDD"),
    ],
)
def test_format_errors_name_the_field(text, fragment):
    with pytest.raises(qr.QrFormatError, match=fragment):
        qr.parse(text)
    assert not qr.crc_ok(text)


def test_format_error_is_a_value_error():
    assert issubclass(qr.QrFormatError, ValueError)


@pytest.mark.parametrize(
    ("type_code", "field"),
    [("31", "total"), ("32", "total"), ("51", "total"), ("61", "total"), ("01", "amount"), ("04", "amount"),
     ("10", "amount"), ("11", "amount"), ("14", "amount"), ("20", "amount")],
)  # fmt: skip
def test_amount_field(type_code, field):
    p = qr.parse(
        qr.build(type_code, "", "26427000000375586818", Decimal("10.70"), datetime.date(2026, 4, 30))
    )
    assert p.amount_field() == field


def test_to_query_fields_digital():
    fields = qr.to_query_fields(qr.parse(WITH_COMMA[1]))
    assert fields == {
        "type": "32",
        "code": "",
        "number": "26427000000375586818",
        "issue_date": "2026-04-30",
        "check_code": "",
        "total": "10.70",
    }


def test_to_query_fields_before_digital():
    fields = qr.to_query_fields(
        qr.parse("01,10,031001700111,91076602,187.18,20170710,61052145051968576568,3977")
    )
    assert fields["amount"] == "187.18" and "total" not in fields
    assert fields["check_code"] == "61052145051968576568"
    assert fields["code"] == "031001700111" and fields["issue_date"] == "2017-07-10"


def test_to_query_fields_leaves_out_types_yanpiao_does_not_know():
    p = qr.parse(qr.build("51", "", "26427000000375586818", Decimal("10.70"), datetime.date(2026, 4, 30)))
    assert qr.to_query_fields(p)["type"] == ""


@pytest.mark.parametrize("payload", WITH_COMMA)
def test_build_reproduces_real_payloads(payload):
    p = qr.parse(payload)
    built = qr.build(p.type, p.code, p.number, p.amount, p.issue_date, p.check_code)
    assert built == payload.rstrip(",") + ","


def test_build_writes_two_decimal_places():
    text = qr.build("32", "", "26427000000375586818", Decimal("57"), datetime.date(2026, 4, 30))
    assert ",57.00,20260430,," in text and text.endswith(",")


def test_crc_valid_without_the_original_text():
    p = qr.parse(WITH_COMMA[1])
    rebuilt = qr.QrPayload(p.type, p.code, p.number, p.amount, p.issue_date, p.check_code, p.crc)
    assert rebuilt == p
    assert rebuilt.crc_valid is True


_TYPES = st.sampled_from(["01", "04", "10", "11", "14", "20", "31", "32"])
_DIGITS = "0123456789"


@st.composite
def payload_fields(draw):
    type_code = draw(_TYPES)
    if type_code in ("31", "32"):
        code, number = "", draw(st.text(_DIGITS, min_size=20, max_size=20))
    else:
        code = draw(st.text(_DIGITS, min_size=10, max_size=10) | st.text(_DIGITS, min_size=12, max_size=12))
        number = draw(st.text(_DIGITS, min_size=8, max_size=8))
    amount = draw(st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("99999999.99"), places=2))
    issue_date = draw(st.dates(min_value=datetime.date(2010, 1, 1), max_value=datetime.date(2099, 12, 31)))
    check = "" if type_code in ("01", "31", "32") else draw(st.text(_DIGITS, min_size=20, max_size=20))
    return type_code, code, number, amount, issue_date, check


@given(payload_fields())
def test_parse_inverts_build(fields):
    type_code, code, number, amount, issue_date, check = fields
    p = qr.parse(qr.build(*fields))
    assert (p.type, p.code, p.number, p.amount, p.issue_date, p.check_code) == fields
    assert p.crc_valid is True
    assert p.amount_field() == ("total" if type_code in ("31", "32") else "amount")


@given(payload_fields(), st.data())
def test_any_changed_digit_breaks_the_crc(fields, data):
    text = qr.build(*fields)
    body = text[: text.rindex(",", 0, -1)]
    positions = [i for i, c in enumerate(body) if c.isdigit() and i > 2]
    i = data.draw(st.sampled_from(positions))
    digit = data.draw(st.sampled_from([d for d in _DIGITS if d != body[i]]))
    changed = body[:i] + digit + text[i + 1 :]
    try:
        parsed = qr.parse(changed)
    except qr.QrFormatError:
        return  # e.g. an impossible date: refused before the CRC
    assert parsed.crc_valid is False


_PAYLOAD_ALPHABET = st.sampled_from(list("0123456789,，. -abcdefABCDEF３") + ["01,32,,", "20260430"])


@given(st.text(max_size=80) | st.lists(_PAYLOAD_ALPHABET, max_size=40).map("".join))
def test_parse_raises_only_its_own_error(text):
    try:
        p = qr.parse(text)
    except qr.QrFormatError:
        assert not qr.crc_ok(text)
    else:
        assert p.crc_valid in (True, False, None)
        assert qr.crc_ok(text) == (p.crc_valid is True)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("01,３２,,26427000000375586818,10.70,20260430,,FAFB", "type"),
        ("01,32,,26427000000375586818,１0.70,20260430,,FAFB", "amount"),
        ("01,32,,26427000000375586818,10.70,２0260430,,FAFB", "YYYYMMDD"),
    ],
)
def test_full_width_digits_are_not_a_payload(text, fragment):
    with pytest.raises(qr.QrFormatError, match=fragment):
        qr.parse(text)
    assert not qr.crc_ok(text)


# --- signed payloads (Yanpiao's signature field) ----------------------------------------------

SIGNATURE = bytes(range(69))  # the length of a Tink Ed25519 signature: prefix and 64 bytes


@pytest.mark.parametrize("payload", WITH_COMMA + WITHOUT_COMMA + [BLOCKCHAIN])
def test_signed_payload_round_trip(payload):
    signed = qr.with_signature(payload, SIGNATURE)
    fields = signed.split(",")
    assert len(fields) == 9 and fields[8].startswith(qr.SIGNATURE_MARKER)
    assert fields[:8] == payload.rstrip(",").split(",")  # the standard fields, unchanged
    standard, signature = qr.split_signature(signed)
    assert signature == SIGNATURE
    assert standard == payload.rstrip(",") + ","
    assert qr.parse(signed) == qr.parse(payload)
    assert qr.parse(signed).signature == SIGNATURE and qr.parse(payload).signature is None


@pytest.mark.parametrize("payload", WITH_COMMA + WITHOUT_COMMA)
def test_a_standard_reader_reads_a_signed_payload(payload):
    """What a reader of the standard sees: fields by position, the CRC over fields 1-7."""
    signed = qr.with_signature(payload, SIGNATURE)
    assert signed.split(",")[:8] == payload.split(",")[:8]
    assert qr.crc_ok(signed)
    assert qr.to_query_fields(qr.parse(signed)) == qr.to_query_fields(qr.parse(payload))


def test_a_signed_payload_may_end_with_a_comma_and_use_full_width_commas():
    signed = qr.with_signature(WITH_COMMA[1], SIGNATURE)
    assert qr.parse(signed + ",").signature == SIGNATURE
    assert qr.parse(signed.replace(",", "，")).signature == SIGNATURE


def test_the_signature_field_is_base64url_without_padding():
    field = qr.signature_field(b"\xfb\xff\xfe")
    assert field == "YPS1:-__-"
    assert qr.split_signature(f"{WITH_COMMA[0]},{field}")[1] == b"\xfb\xff\xfe"


@pytest.mark.parametrize("broken", ["YPS1:", "YPS1:@@@@", "YPS1:abc=", "YPS1:" + "A" * 300, "YPS1:a"])
def test_a_signature_field_that_is_not_base64url_is_empty_bytes(broken):
    text = f"{WITH_COMMA[1]},{broken}"
    assert qr.split_signature(text)[1] == b""
    assert qr.parse(text).signature == b""


def test_split_signature_never_raises():
    assert qr.split_signature("") == ("", None)
    assert qr.split_signature(None) == ("", None)
    assert qr.split_signature("hello,YPS1:AQID") == ("hello,", b"\x01\x02\x03")
    assert qr.split_signature(WITH_COMMA[1]) == (WITH_COMMA[1], None)


def test_signing_twice_is_refused():
    signed = qr.with_signature(WITH_COMMA[1], SIGNATURE)
    with pytest.raises(qr.QrFormatError, match="signed already"):
        qr.with_signature(signed, SIGNATURE)
    with pytest.raises(qr.QrFormatError):
        qr.with_signature("not a payload", SIGNATURE)


def test_a_ninth_field_that_is_not_a_signature_is_still_refused():
    with pytest.raises(qr.QrFormatError, match="8 comma-separated fields"):
        qr.parse(WITH_COMMA[1] + ",XYZ")


def test_the_signed_message_is_the_canonical_key_fields():
    p = qr.parse("01,10,033001800111,25672225,76.72,20180610,82076771121721427121,CB32,")
    assert qr.signature_message(p) == (
        b"yanpiao-qr-1\n01,10,033001800111,25672225,76.72,20180610,82076771121721427121"
    )
    # the same invoice written otherwise (amount 6.2 for 6.20) signs the same message
    loose = qr.parse("01,32,,26427000000375586818,6.2,20260430,,0000")
    tight = qr.parse("01,32,,26427000000375586818,6.20,20260430,,0000")
    assert qr.signature_message(loose) == qr.signature_message(tight)
    assert b"91530102MA7KNHQC36" in qr.signature_message(qr.parse(BLOCKCHAIN))


@given(payload_fields(), st.binary(min_size=0, max_size=100))
def test_any_signed_payload_round_trips(fields, signature):
    standard = qr.build(*fields)
    signed = qr.with_signature(standard, signature)
    assert qr.split_signature(signed) == (standard, signature)
    assert qr.parse(signed) == qr.parse(standard)


@given(payload_fields(), st.data())
def test_any_changed_key_field_changes_the_signed_message(fields, data):
    p = qr.parse(qr.build(*fields))
    changed = data.draw(st.sampled_from(["type", "code", "number", "amount", "issue_date", "check_code"]))
    altered = {
        "type": "04" if p.type != "04" else "10",
        "code": p.code + "1" if len(p.code) == 10 else "1100174320",
        "number": p.number[:-1] + ("1" if p.number[-1] != "1" else "2"),
        "amount": p.amount + Decimal("0.01"),
        "issue_date": p.issue_date + datetime.timedelta(days=1),
        "check_code": p.check_code[:-1] + "7" if p.check_code[-1:] not in ("", "7") else "1" * 20,
    }[changed]
    assert qr.signature_message(dataclasses.replace(p, **{changed: altered})) != qr.signature_message(p)


def test_of_invoice_takes_the_total_for_digital_invoices():
    class Invoice:
        type, code, number, check_code = "32", "", "26427000000375586818", ""
        amount, total, issue_date = Decimal("10.09"), Decimal("10.70"), datetime.date(2026, 4, 30)

    assert qr.of_invoice(Invoice) == "01,32,,26427000000375586818,10.70,20260430,,FAFB,"
    Invoice.type = "01"
    assert ",10.09," in qr.of_invoice(Invoice)
