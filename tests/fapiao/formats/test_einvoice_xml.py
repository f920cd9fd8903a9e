"""The 数电 XML name table: every element the writer emits is in it, and reads back."""

import pytest
from defusedxml import ElementTree

from tests import factories
from yanpiao.documents.einvoice_xml import render_xml
from yanpiao.fapiao.formats import einvoice_xml as xml
from yanpiao.intake import einvoice_xml as reader

# Written by the writer without an invoice field behind them (labels, versions, tax bureau).
NOT_FIELDS = {
    "EInvoiceTag",
    "Version",
    "LabelType",
    "LabelCode",
    "LabelName",
    "AuthenticationMethods",
    "RequestTime",
    xml.TAX_BUREAU_CODE,
    xml.TAX_BUREAU_NAME,
    xml.LINE_TOTAL,
}


@pytest.mark.parametrize("type_code", ["31", "32"])
def test_every_element_written_with_a_value_is_a_field_of_the_table(type_code):
    root = ElementTree.fromstring(render_xml(factories.invoice(type_code, remarks="备注")))
    fields = {xml.HEADER_NUMBER.rpartition("/")[2], xml.REMARK.rpartition("/")[2]}
    fields |= set(xml.BASIC_FIELDS) | set(xml.LINE_FIELDS) | set(xml.SUPERVISION_FIELDS)
    fields |= {xml.party_element(role, suffix) for role in xml.PARTIES for suffix in xml.PARTY_FIELDS}
    written = {element.tag for element in root.iter() if len(element) == 0 and (element.text or "").strip()}
    assert written - NOT_FIELDS <= fields


@pytest.mark.parametrize("type_code", ["31", "32"])
def test_the_writer_and_the_reader_agree_through_the_table(type_code):
    invoice = factories.invoice(type_code, remarks="备注")
    [candidate] = reader.read(render_xml(invoice)).candidates
    f = candidate.fields
    assert (f["type"], f["number"], f["issue_date"], f["total"], f["remarks"]) == (
        type_code,
        invoice.number,
        "2025-03-07",
        str(invoice.total),
        "备注",
    )
    assert f["seller"]["tax_id"] == invoice.seller.tax_id and f["buyer"]["name"] == invoice.buyer.name
    assert len(f["items"]) == len(invoice.items)
    assert candidate.findings == []


def test_the_type_label_codes_and_names_agree():
    assert set(xml.TYPE_LABELS.values()) == set(xml.LABEL_NAMES)
