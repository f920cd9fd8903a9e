"""Documents of demo invoices: PDF, OFD and 数电 XML with a manifest of the outcome each gives."""

import json

from tests import factories
from yanpiao.demo import documents


def invoices():
    return [
        factories.invoice("32", serial=901),
        factories.invoice("10", serial=902),
        factories.invoice("01", serial=903, status="voided"),
    ]


def test_files_and_manifest(tmp_path):
    manifest = documents.write_documents(invoices(), tmp_path)
    digital, ordinary, voided = (documents.stem(i) for i in invoices())
    assert digital == "26112000000000000901" and ordinary == "011002400111_00000902"
    names = {path.name for path in tmp_path.iterdir()}
    assert names == {
        f"{digital}.pdf",
        f"{digital}.ofd",
        f"{digital}.xml",
        f"{ordinary}.pdf",
        f"{ordinary}.ofd",
        f"{voided}.pdf",
        f"{voided}.ofd",
        "manifest.jsonl",
    }
    lines = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert lines == manifest
    assert {entry["file"] for entry in manifest} == names - {"manifest.jsonl"}


def test_the_registry_status_decides_the_expected_outcome(tmp_path):
    manifest = documents.write_documents(invoices(), tmp_path)
    expected = {entry["number"]: entry["expected"] for entry in manifest}
    assert expected == {"26112000000000000901": "authentic", "00000902": "authentic", "00000903": "voided"}


def test_the_same_invoices_give_the_same_files(tmp_path):
    documents.write_documents(invoices(), tmp_path / "a")
    documents.write_documents(invoices(), tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_the_sample_takes_every_type_in_turn():
    rows = [(i, t) for i, t in enumerate(["32"] * 50 + ["10"] * 5 + ["01"] * 2, start=1)]
    sample = documents.sample_ids(rows, 6, seed=2)
    assert sample == documents.sample_ids(rows, 6, seed=2) == sorted(sample)
    types = {t for i, t in rows if i in sample}
    assert types == {"32", "10", "01"}
    assert len(documents.sample_ids(rows, 100, seed=2)) == len(rows)
