"""``yanpiao extract``: a photo's QR code is enough unless ``--ocr`` asks for its printed content."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests import factories
from tests.intake import hostile
from tests.support.photo import simulate_photo
from yanpiao.verification import services


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


# --- refusals reach the commands as refusals: exit 2 and a message, never a crash ---------------------


def refused(capsys, command: str, path) -> dict:
    with pytest.raises(SystemExit) as exit_status:
        call_command(command, "--json", str(path))
    assert exit_status.value.code == 2
    out, err = capsys.readouterr()
    assert f"{path}: refused: " in err
    return json.loads(out.splitlines()[-1])["refused"]


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["extract", "verify-file"])
def test_an_xml_with_xinclude_is_refused_by_both_commands(capsys, tmp_path, command):
    path = tmp_path / "include.xml"
    path.write_bytes(hostile.xinclude_xml())
    assert refused(capsys, command, path)["reason"] == "unsafe"


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["extract", "verify-file"])
def test_an_xml_without_key_fields_is_refused_by_both_commands(capsys, tmp_path, command):
    path = tmp_path / "attribute.xml"
    path.write_bytes(hostile.huge_attribute_xml(100_000))
    assert refused(capsys, command, path)["reason"] == "not_invoice"


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["extract", "verify-file"])
def test_a_costly_pdf_is_refused_by_both_commands_under_the_configured_budget(capsys, tmp_path, command):
    path = tmp_path / "images.pdf"
    path.write_bytes(hostile.image_pdf(pages=3, side=800, draws=12))
    with override_settings(YANPIAO_INTAKE_LIMITS={"max_page_pixels": 1_000_000}):
        answer = refused(capsys, command, path)
    assert answer["reason"] == "too_costly" and "max_page_pixels" in answer["message"]


def test_the_configured_limits_are_the_intake_limits():
    with override_settings(YANPIAO_INTAKE_LIMITS={"max_ocr_runs": 1, "max_seconds": 2.5}):
        limits = services.intake_limits()
    assert (limits.max_ocr_runs, limits.max_seconds) == (1, 2.5)


def test_the_limits_are_configured_from_the_environment_as_json(tmp_path):
    path = tmp_path / "images.pdf"
    path.write_bytes(hostile.image_pdf(pages=2, side=800, draws=12))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(YANPIAO_HOME=str(tmp_path / "home"), YANPIAO_INTAKE_LIMITS='{"max_page_pixels": 1000000}')
    done = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", "extract", str(path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert "refused" in done.stderr and "max_page_pixels" in done.stderr
    env["YANPIAO_INTAKE_LIMITS"] = '{"max_pages": 3}'
    done = subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", "extract", str(path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "configuration error: YANPIAO_INTAKE_LIMITS" in done.stderr and "max_pages" in done.stderr
