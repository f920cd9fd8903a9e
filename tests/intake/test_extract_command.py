"""``yanpiao extract``: a photo's QR code is enough unless ``--ocr`` asks for its printed content."""

import json

from django.core.management import call_command

from tests import factories
from tests.support.photo import simulate_photo


def extract(capsys, *arguments: str) -> dict:
    call_command("extract", "--json", *arguments)
    return json.loads(capsys.readouterr().out)


def test_a_photo_with_a_readable_qr_code_is_not_read_by_ocr(capsys, tmp_path):
    invoice = factories.invoice("10")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(simulate_photo(invoice, seed=3))
    [candidate] = extract(capsys, str(photo))["invoices"]
    assert candidate["invoice"]["number"] == invoice.number
    assert set(candidate["sources"].values()) == {"qr"}


def test_with_ocr_the_printed_content_is_read_too(capsys, tmp_path):
    invoice = factories.invoice("10")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(simulate_photo(invoice, seed=3))
    [candidate] = extract(capsys, "--ocr", str(photo))["invoices"]
    assert candidate["qr"]["number"] == invoice.number
    assert "ocr" in set(candidate["sources"].values())
