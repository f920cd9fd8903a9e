"""Choosing the reader, and what every reader's answer must hold: at least one key field."""

from __future__ import annotations

from unittest import mock

import pytest

from yanpiao.intake import pdf, reader
from yanpiao.intake.candidate import TEXT, Candidate, Extraction
from yanpiao.intake.limits import RefusedDocument

MINIMAL_PDF = b"%PDF-1.7\n%%EOF\n"


def candidate(**fields) -> Candidate:
    found = Candidate()
    for name, value in fields.items():
        found.set(name.replace("__", "."), value, TEXT)
    return found


def test_a_document_without_any_key_field_is_refused_whatever_its_reader():
    empty = Extraction("pdf", [candidate(seller__name="北京示例科技有限公司", type="32")])
    with mock.patch.object(pdf, "read", return_value=empty), pytest.raises(RefusedDocument) as refused:
        reader.extract(MINIMAL_PDF)
    assert refused.value.reason == "not_invoice"
    assert "key field" in refused.value.message and "发票号码" in refused.value.message


def test_an_invoice_without_key_fields_is_left_out_beside_one_with_them():
    read = Extraction("pdf", [candidate(number="26427000000375586818"), candidate(remarks="第2页")])
    with mock.patch.object(pdf, "read", return_value=read):
        extraction = reader.extract(MINIMAL_PDF)
    assert [c.get("number") for c in extraction.candidates] == ["26427000000375586818"]


@pytest.mark.parametrize("name", ["code", "number", "issue_date", "amount", "check_code", "total"])
def test_any_one_key_field_is_enough_to_keep_a_candidate(name):
    read = Extraction("pdf", [candidate(**{name: "1"})])
    with mock.patch.object(pdf, "read", return_value=read):
        assert len(reader.extract(MINIMAL_PDF).candidates) == 1
