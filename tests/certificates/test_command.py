"""``yanpiao certificate``: exit 0 genuine, 1 not genuine, 2 not a certificate; one line each;
anyone can check with the printed public certificate alone."""

import json
import subprocess
import sys
import uuid

import pytest

from tests.certificates.conftest import flip
from tests.support.processes import fresh_environment
from yanpiao import cli
from yanpiao.certificates import services, signing
from yanpiao.verification.models import Verification

# Django closes the database connection when a command ends, which a test transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)


def run(capsys, *argv):
    code = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def issued(capsys, verify, tmp_path):
    """A certificate written by ``yanpiao certificate issue``, and its verification."""
    row = verify()
    path = tmp_path / "certificate.pdf"
    code, out, err = run(capsys, "certificate", "issue", row.public_id, "-o", path)
    assert code == 0, err
    assert f"certificate of verification {row.public_id} (authentic)" in out
    return path, row


def test_a_genuine_certificate_exits_0_and_says_what_it_certifies(capsys, issued):
    path, row = issued
    code, out, err = run(capsys, "certificate", "verify", path)
    assert code == 0 and err == ""
    assert out.startswith("genuine: ") and str(row.public_id) in out and out.count("\n") == 1


def test_the_answer_as_json(capsys, issued):
    path, row = issued
    code, out, _ = run(capsys, "certificate", "verify", path, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["genuine"] and answer["certifies"]["verification_id"] == str(row.public_id)


def test_an_altered_certificate_exits_1(capsys, issued, tmp_path):
    path, _ = issued
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(flip(path.read_bytes(), 3000))
    code, out, err = run(capsys, "certificate", "verify", altered)
    assert code == 1 and out == "" and err.startswith("altered: ") and err.count("\n") == 1


def test_a_forged_certificate_exits_1(capsys, verify, monkeypatch, tmp_path):
    row = verify()
    signing.signing_generation()
    stranger = signing._new_generation(1)
    monkeypatch.setattr(signing, "signing_generation", lambda: stranger)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(services.issue(None, row))
    monkeypatch.undo()
    code, _, err = run(capsys, "certificate", "verify", forged)
    assert code == 1 and err.startswith("forged: ")


def test_a_certificate_of_an_unknown_verification_exits_1_online_and_0_offline(capsys, tmp_path):
    never = Verification(public_id=uuid.uuid4(), channel="cli", submitted={}, outcome="not_found")
    path = tmp_path / "never.pdf"
    path.write_bytes(services.issue(None, never))
    code, _, err = run(capsys, "certificate", "verify", path)
    assert code == 1 and err.startswith("unknown_verification: ")
    code, out, _ = run(capsys, "certificate", "verify", path, "--offline")
    assert code == 0 and "not looked up" in out


@pytest.mark.parametrize(
    "content", [b"", b"\x00garbage" * 100, b"%PDF-1.4\n%%EOF\n"], ids=["empty", "random", "bare PDF"]
)
def test_what_is_not_a_certificate_exits_2(capsys, tmp_path, content):
    path = tmp_path / "file.pdf"
    path.write_bytes(content)
    code, out, err = run(capsys, "certificate", "verify", path)
    assert code == 2 and out == "" and err.startswith("not_certificate: ") and err.count("\n") == 1


def test_a_file_that_cannot_be_read_exits_2_in_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "certificate", "verify", tmp_path / "missing.pdf")
    assert code == 2 and "cannot read" in err and "Traceback" not in err and err.count("\n") == 1


def test_issuing_the_certificate_of_no_verification_exits_1(capsys, tmp_path):
    for wrong in (uuid.uuid4(), "not-an-id"):
        code, _, err = run(capsys, "certificate", "issue", wrong, "-o", tmp_path / "x.pdf")
        assert code == 1 and f"no verification {wrong}" in err
    assert not (tmp_path / "x.pdf").exists()


def test_public_key_prints_every_generation_and_none_before_the_first(capsys):
    code, out, err = run(capsys, "certificate", "public-key")
    assert code == 1 and "no certificate signing key yet" in err
    signing.signing_generation()
    assert run(capsys, "certificate", "rotate")[0] == 0
    code, out, _ = run(capsys, "certificate", "public-key")
    assert code == 0 and out == signing.public_pem() and out.count("BEGIN CERTIFICATE") == 2


def test_after_rotate_earlier_certificates_stay_genuine(capsys, issued):
    path, _ = issued
    code, out, _ = run(capsys, "certificate", "rotate")
    assert code == 0 and "certificate signing key 2" in out
    assert run(capsys, "certificate", "verify", path)[0] == 0


def third_party(*argv, home):
    """The command in a process of its own whose YANPIAO_HOME is ``home``: no keys, no database."""
    env = fresh_environment(home)
    return subprocess.run(
        [sys.executable, "-m", "yanpiao.cli", *map(str, argv)], env=env, capture_output=True, text=True
    )


def test_the_printed_public_certificate_is_all_a_third_party_needs(capsys, issued, tmp_path):
    path, _ = issued
    pem = tmp_path / "yanpiao.pem"
    pem.write_text(run(capsys, "certificate", "public-key")[1])
    empty = tmp_path / "empty-home"
    empty.mkdir()
    done = third_party("certificate", "verify", path, "--public-key", pem, home=empty)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("genuine: ")
    assert not (empty / "keys" / "certificate.json").exists()
    # Without the public certificate the same home cannot vouch for anything.
    done = third_party("certificate", "verify", path, home=empty)
    assert done.returncode == 1 and "--public-key" in done.stderr


def test_a_public_key_file_without_a_certificate_exits_2(capsys, issued, tmp_path):
    path, _ = issued
    pem = tmp_path / "nothing.pem"
    pem.write_text("no certificate here\n")
    code, _, err = run(capsys, "certificate", "verify", path, "--public-key", pem)
    assert code == 2 and "no PEM certificate" in err and err.count("\n") == 1


def test_another_installation_s_public_certificate_does_not_vouch_for_ours(capsys, issued, tmp_path):
    path, _ = issued
    pem = tmp_path / "other.pem"
    pem.write_text(signing._new_generation(1).certificate_pem)
    code, _, err = run(capsys, "certificate", "verify", path, "--public-key", pem)
    assert code == 1 and err.startswith("forged: ")
