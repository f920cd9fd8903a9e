"""The OFD name table: every element and data name the writer emits is in it and reads back."""

import io
import zipfile

import pytest
from defusedxml import ElementTree

from tests import factories
from yanpiao.documents.ofd import render_ofd
from yanpiao.fapiao.formats import ofd as names
from yanpiao.intake import ofd as reader
from yanpiao.intake.safe import local_name


def package(invoice) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(render_ofd(invoice)))


def leaves(root) -> list:
    return [element for element in root.iter() if len(element) == 0]


def test_every_custom_data_written_is_a_name_of_the_table():
    archive = package(factories.invoice("10"))
    written = [e.get("Name") for e in ElementTree.fromstring(archive.read("OFD.xml")).iter() if e.get("Name")]
    assert written and set(written) <= set(names.CUSTOM_DATAS)
    assert written == [name for name in names.CUSTOM_DATAS_WRITTEN if name in written]


@pytest.mark.parametrize("type_code", ["31", "32"])
def test_every_custom_tag_element_written_is_in_the_table(type_code):
    root = ElementTree.fromstring(package(factories.invoice(type_code)).read("Doc_0/Tags/CustomTag.xml"))
    tagged = {local_name(e.tag) for e in root.iter() if any(local_name(c.tag) == "ObjectRef" for c in e)}
    known = set(names.TOP) | set(names.LINE_FIELDS) | {elements[-1] for elements, _ in names.tags()}
    assert tagged and tagged <= known


def test_every_original_invoice_element_written_is_in_the_table_or_the_writers_own():
    root = ElementTree.fromstring(package(factories.invoice("10")).read("Doc_0/Attachs/original_invoice.xml"))
    assert local_name(root.tag) == names.ORIGINAL_INVOICE_ROOT
    assert [local_name(e.tag) for e in root] == list(names.ORIGINAL_INVOICE_ORDER)
    parts = {names.party_element(group, part) for group in names.PARTIES for part in names.PARTY_PARTS}
    own = {"DocID", "TypeCode", "TaxControlCode", "Tpvn", "InvoiceSIA1", "InvoiceSIA2", "Signature"}
    own |= {"Issuea1", "Issuea2", names.QR_PAYLOAD}
    written = {local_name(e.tag) for e in leaves(root)}
    assert written <= set(names.TOP) | set(names.LINE_FIELDS) | parts | own


@pytest.mark.parametrize("type_code", ["10", "31"])
def test_what_the_writer_puts_in_each_place_reads_back_through_the_same_table(type_code):
    invoice = factories.invoice(type_code, remarks="合同编号：HT2025")
    [candidate] = reader.read(render_ofd(invoice)).candidates
    f = candidate.fields
    assert (f["number"], f["issue_date"], f["amount"], f["tax"], f["total"]) == (
        invoice.number,
        "2025-03-07",
        str(invoice.amount),
        str(invoice.tax),
        str(invoice.total),
    )
    assert (f["buyer"]["tax_id"], f["seller"]["name"], f["remarks"]) == (
        invoice.buyer.tax_id,
        invoice.seller.name,
        "合同编号：HT2025",
    )
    assert [line["name"] for line in f["items"]] == [item.name for item in invoice.items]
    assert not [finding for finding in candidate.findings if finding.rule.startswith("consistency")]
