"""Bounded fuzz runs of the QR payload: the parser and the intake's QR reader answer or refuse.

``qr.parse`` returns a payload or raises ``QrFormatError``; ``reader.extract`` of bytes that look
like a payload (``01,`` first) returns candidates or raises ``RefusedDocument``: nothing else.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutations import EXAMPLES, mutated
from yanpiao.fapiao import qr
from yanpiao.intake import reader
from yanpiao.intake.limits import RefusedDocument

VALID = [
    "01,32,,26427000000375586818,10.70,20260430,,FAFB",
    "01,10,044001500111,81966722,173.79,20170524,17884534745749991611,BE2D",
    "01,10,033001800111,25672225,76.72,20180610,82076771121721427121,CB32,",
    "01,31,,24112000000048542163,4449.00,20240528,,B2B6",
]
fields = st.lists(
    st.one_of(st.from_regex(r"[0-9A-F.]{0,24}", fullmatch=True), st.text(max_size=12)), max_size=12
)


def parsed_or_refused(text: str) -> None:
    try:
        payload = qr.parse(text)
    except qr.QrFormatError:
        return
    assert payload.number and payload.issue_date and qr.to_query_fields(payload)["number"] == payload.number


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.sampled_from(VALID).flatmap(lambda v: mutated(v.encode())), fields.map(",".join)))
def test_a_mutated_or_arbitrary_payload_parses_or_is_a_format_error(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    parsed_or_refused(text)
    parsed_or_refused("01," + text)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(st.sampled_from(VALID).flatmap(lambda v: mutated(v.encode())).map(lambda b: b"01," + b[3:]))
@example(b"01,32,,26427000000375586818,10.70,20260430,,FAFB," + b"A" * 5000)
def test_the_intake_reads_utf8_payload_bytes_or_refuses_them(data):
    data = data.decode("utf-8", errors="replace").encode()
    try:
        extraction = reader.extract(data)
    except RefusedDocument as refused:
        assert refused.reason in ("malformed", "not_invoice", "not_supported")
    else:
        assert extraction.format == "qr" and extraction.candidates


def test_payload_bytes_that_are_not_utf8_are_refused_as_malformed():
    with pytest.raises(RefusedDocument) as refused:
        reader.extract(b"01,32,,26427000000375586818,10.70,\xff\xfe,,FAFB")
    assert refused.value.reason == "malformed"
