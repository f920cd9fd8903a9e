"""A folder of documents with a manifest, and ``yanpiao demo --documents``."""

import io
import json
import zipfile

from django.core.management import call_command

from tests import factories
from yanpiao.fapiao.invoice import to_json
from yanpiao.registry.render import documents, layout
from yanpiao.registry.render.tamper import get


def invoices():
    return [
        factories.invoice("32", serial=901),
        factories.invoice("10", serial=902),
        factories.invoice("01", serial=903, status="voided"),
    ]


def test_files_and_manifest(tmp_path):
    manifest = documents.write_documents(invoices(), tmp_path, seed=1)
    digital, ordinary, voided = (documents.stem(i) for i in invoices())
    assert digital == "26112000000000000901" and ordinary == "011002400111_00000902"
    names = {path.name for path in tmp_path.iterdir()}
    for stem in (digital, ordinary, voided):
        for suffix in (".pdf", ".ofd", ".jpg", ".tampered.pdf", ".tampered.ofd", ".tampered.json"):
            assert stem + suffix in names
    assert f"{digital}.xml" in names and f"{ordinary}.xml" not in names
    lines = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert lines == manifest
    assert {entry["file"] for entry in manifest} == names - {"manifest.jsonl"} - {
        n for n in names if n.endswith(".json")
    }


def test_expected_outcomes(tmp_path):
    manifest = documents.write_documents(invoices(), tmp_path, seed=1)
    by_file = {entry["file"]: entry for entry in manifest}
    digital = by_file["26112000000000000901.pdf"]
    assert (digital["expected"], digital["type"], digital["code"]) == ("authentic", "32", "")
    tampered = by_file["26112000000000000901.tampered.ofd"]
    assert tampered["expected"] == "tampered"
    sidecar = json.loads((tmp_path / tampered["sidecar"]).read_text())
    assert sidecar["field"] == tampered["field"]
    assert sidecar["registered"] == get(to_json(invoices()[0]), sidecar["field"])
    assert sidecar["tampered"] != sidecar["registered"]
    # The registry status decides before the content: a voided invoice is voided, tampered or not.
    assert {e["expected"] for e in manifest if e["number"] == "00000903"} == {"voided"}


def test_tampered_copies_keep_the_original_qr_payload(tmp_path):
    documents.write_documents(invoices()[1:2], tmp_path, seed=3)
    stem = documents.stem(invoices()[1])
    with zipfile.ZipFile(io.BytesIO((tmp_path / f"{stem}.tampered.ofd").read_bytes())) as archive:
        original = archive.read("Doc_0/Attachs/original_invoice.xml").decode()
    assert layout.qr_payload(invoices()[1]) in original


def test_same_seed_same_files(tmp_path):
    documents.write_documents(invoices(), tmp_path / "a", seed=5)
    documents.write_documents(invoices(), tmp_path / "b", seed=5)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_sample_takes_every_type_in_turn():
    rows = [(i, t) for i, t in enumerate(["32"] * 50 + ["10"] * 5 + ["01"] * 2, start=1)]
    sample = documents.sample_ids(rows, 6, seed=2)
    assert sample == documents.sample_ids(rows, 6, seed=2) == sorted(sample)
    types = {t for i, t in rows if i in sample}
    assert types == {"32", "10", "01"}
    assert len(documents.sample_ids(rows, 100, seed=2)) == len(rows)


def test_demo_command_writes_documents(db, tmp_path):
    call_command(
        "demo",
        "--invoices",
        "60",
        "--seed",
        "3",
        "--end-date",
        "2026-06-30",
        "--documents",
        str(tmp_path),
        "--documents-sample",
        "4",
    )
    manifest = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert len({(e["code"], e["number"]) for e in manifest}) == 4
    assert all((tmp_path / e["file"]).exists() for e in manifest)
    # With an existing registry and --if-empty, documents are still written.
    again = tmp_path / "again"
    call_command("demo", "--if-empty", "--seed", "3", "--documents", str(again), "--documents-sample", "2")
    assert (again / "manifest.jsonl").exists()
