"""Issuing and checking certificates: genuine ones pass; every alteration, forgery and
certificate of a verification that never happened fails, and no input raises."""

import datetime
import io
import json
import os
import re
import uuid
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.pdfgen import canvas

from tests import factories
from tests.certificates.conftest import flip
from yanpiao.accounts.models import Role
from yanpiao.certificates import services, signing
from yanpiao.documents import pdf as invoice_pdf
from yanpiao.verification.models import Verification

pytestmark = pytest.mark.django_db


def byte_range(data: bytes) -> tuple[int, int, int, int]:
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data)
    return tuple(int(n) for n in found.groups())


def edited_amount_appended(data: bytes, old: bytes, new: bytes) -> bytes:
    """The page's content stream redrawn with ``new`` for ``old``, as an update after the signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    page = writer.root["/Pages"]["/Kids"][0]
    content = page["/Contents"]
    drawn = content.data
    assert old in drawn
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=drawn.replace(old, new)))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unsigned_pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(100, 700, "An ordinary PDF, signed by nobody")
    page.showPage()
    page.save()
    return out.getvalue()


def test_a_genuine_certificate_is_genuine_and_says_what_it_certifies(verify):
    row = verify()
    result = services.check(services.issue(None, row))
    assert result.status == services.GENUINE and result.genuine
    certifies = result.certifies
    assert certifies["verification_id"] == str(row.public_id)
    assert certifies["outcome"] == "authentic"
    assert certifies["checked_at"] == services.local_time(row.created_at)
    assert certifies["checked_at"].endswith("+08:00")
    assert certifies["total"] == "170.98"
    assert certifies["submitted"] == {
        "code": row.submitted["code"],
        "number": row.submitted["number"],
        "issue_date": "2025-03-07",
        "amount": "157.50",
    }
    assert certifies["invoice"]["seller"]["name"] == "北京京华数据科技有限公司"
    assert result.signer_fingerprint == signing.signing_generation().fingerprint
    assert result.to_json()["genuine"] is True


def test_issuing_is_audited_without_personal_data(verify, make_user, audit_events):
    user = make_user()
    row = verify(actor=user)
    services.issue(user, row)
    event = audit_events[-1]
    assert event["action"] == "certificate.issue"
    assert event["actor"] == user
    assert event["target"] == f"verification.verification:{row.public_id}"
    assert event["detail"] == {"outcome": "authentic", "key_generation": 1}


def test_staff_get_the_parties_masked_and_the_verifier_in_full(verify, make_user):
    verifier, auditor = make_user(), make_user(Role.AUDITOR)
    row = verify(actor=verifier)
    own = services.check(services.issue(verifier, row)).certifies["invoice"]
    staff = services.check(services.issue(auditor, row)).certifies["invoice"]
    assert own["seller"]["name"] == "北京京华数据科技有限公司"
    assert staff["seller"]["name"] != own["seller"]["name"] and "*" in staff["seller"]["name"]
    assert staff["total"] == own["total"] == "170.98"


def test_submitted_secrets_stay_masked_as_the_history_keeps_them(verify):
    row = verify(type="04", invoice_fields={"check_code": "73829164502918374655"})  # 普票: by its 校验码
    secret = row.invoice.check_code[-6:]
    certifies = services.check(services.issue(None, row)).certifies
    assert certifies["submitted"]["check_code"] == row.submitted["check_code"] != secret
    assert secret not in json.dumps(certifies)


@pytest.mark.parametrize("where", ["beginning", "header", "middle", "signature", "signature padding", "end"])
def test_a_byte_flipped_anywhere_is_an_alteration(certificate, where):
    start, length, gap_end, _ = byte_range(certificate)
    position = {
        "beginning": 0,
        "header": 10,
        "middle": len(certificate) // 2,
        "signature": start + length + 1 + 200,  # inside the hex of the CMS structure
        "signature padding": gap_end - 10,  # the zeros after it, which readers ignore
        "end": len(certificate) - 1,
    }[where]
    result = services.check(flip(certificate, position))
    assert result.status == services.ALTERED and not result.genuine, result.message


def test_a_byte_flipped_at_a_sample_of_positions_never_passes(certificate):
    positions = range(0, len(certificate), max(1, len(certificate) // 100))
    genuine = [p for p in positions if services.check(flip(certificate, p), online=False).genuine]
    assert genuine == []


def test_every_byte_of_the_signature_structure_is_checked(certificate):
    start, length, gap_end, _ = byte_range(certificate)
    gap = range(start + length, gap_end)
    genuine = [p for p in gap[::43] if services.check(flip(certificate, p), online=False).genuine]
    assert genuine == []


def test_an_amount_edited_in_an_update_appended_after_signing_is_an_alteration(certificate):
    edited = edited_amount_appended(certificate, b"(170.98", b"(990.98")
    assert PdfFileReader(io.BytesIO(edited)).embedded_signatures  # still signed, but not all of it
    result = services.check(edited)
    assert result.status == services.ALTERED
    assert "after the signature" in result.message


def test_an_amount_substituted_in_place_is_an_alteration(certificate):
    # The embedded JSON is stored uncompressed: the amount is findable as text.
    assert certificate.count(b'"total": "170.98"') == 2  # the invoice's and the one shown
    edited = certificate.replace(b'"total": "170.98"', b'"total": "990.98"')
    assert len(edited) == len(certificate)
    assert services.check(edited).status == services.ALTERED


def test_a_certificate_signed_with_another_key_is_forged(verify, monkeypatch):
    row = verify()
    signing.signing_generation()  # ours exists and is trusted
    stranger = signing._new_generation(1)
    monkeypatch.setattr(signing, "signing_generation", lambda: stranger)
    forged = services.issue(None, row)  # the same page and data, signed with the stranger's key
    monkeypatch.undo()
    result = services.check(forged)
    assert result.status == services.FORGED and not result.genuine
    assert result.signer_fingerprint == stranger.fingerprint


def test_a_genuine_certificate_signed_again_by_another_key_is_not_genuine(certificate, monkeypatch):
    stranger = signing._new_generation(1)
    monkeypatch.setattr(signing, "signing_generation", lambda: stranger)
    monkeypatch.setattr(signing, "FIELD_NAME", "Countersignature")
    resigned = signing.sign(certificate, b"{}", "other.json", "another signature on top")
    monkeypatch.undo()
    assert len(PdfFileReader(io.BytesIO(resigned)).embedded_signatures) == 2
    assert services.check(resigned).status == services.ALTERED


def test_a_certificate_of_a_verification_that_never_happened_is_refused_online(verify):
    never = Verification(
        public_id=uuid.uuid4(),
        channel="cli",
        submitted={"number": "26112000000000000001"},
        outcome="authentic",
    )
    data = services.issue(None, never)  # signed with the real key
    result = services.check(data)
    assert result.status == services.UNKNOWN_VERIFICATION and not result.genuine
    assert "no verification" in result.message
    assert services.check(data, online=False).genuine  # the signature alone cannot know


def test_a_certificate_that_misstates_the_outcome_of_a_real_verification_is_refused_online(verify):
    row = verify(amount="999.00")
    assert row.outcome == "mismatch"
    claimed = Verification(
        public_id=row.public_id,
        channel=row.channel,
        created_at=row.created_at,
        submitted=row.submitted,
        outcome="authentic",
    )
    result = services.check(services.issue(None, claimed))
    assert result.status == services.UNKNOWN_VERIFICATION


@pytest.mark.parametrize(
    "data",
    [
        b"",
        os.urandom(5000),
        b"%PDF-1.7\n" + os.urandom(3000),
        b"%PDF-1.4\n1 0 obj\n[[[[[[[[[[[[[[[[[[[[" * 2000,
        unsigned_pdf(),
    ],
    ids=["empty", "random", "random after a PDF header", "deeply nested", "unsigned PDF"],
)
def test_what_is_not_a_certificate_is_said_so_without_an_exception(data):
    result = services.check(data)
    assert result.status == services.NOT_CERTIFICATE and not result.genuine
    assert result.certifies is None and result.message


def test_an_invoice_pdf_is_not_a_certificate():
    assert services.check(invoice_pdf.render_pdf(factories.invoice())).status == services.NOT_CERTIFICATE


def test_a_file_larger_than_the_limit_is_refused_unread():
    result = services.check(b"%PDF-1.7\n" + b"0" * services.MAX_BYTES)
    assert result.status == services.NOT_CERTIFICATE and "larger than" in result.message


@pytest.mark.parametrize("kept", [0.25, 0.5, 0.75, 0.99])
def test_a_certificate_cut_short_is_not_genuine(certificate, kept):
    # Where the cut falls decides whether the signature can still be found (altered) or not.
    found = services.check(certificate[: int(len(certificate) * kept)])
    assert not found.genuine and found.status in (services.ALTERED, services.NOT_CERTIFICATE)


def test_a_certificate_issued_before_a_rotation_stays_genuine_after_it(verify):
    before = services.issue(None, verify())
    old = signing.signing_generation()
    new = signing.rotate()
    after = services.issue(None, verify())
    assert services.check(before).genuine and services.check(before).signer_fingerprint == old.fingerprint
    assert services.check(after).genuine and services.check(after).signer_fingerprint == new.fingerprint
    # ... and whoever has only the old public certificate cannot vouch for the new one
    assert services.check(after, trust_roots=[old.certificate]).status == services.FORGED


def test_checking_with_only_the_public_certificates_needs_no_key(certificate):
    published = signing.load_public_certificates(signing.public_pem().encode())
    signing.path().unlink()  # no keys at all any more
    result = services.check(certificate, online=False, trust_roots=published)
    assert result.genuine


def test_checking_never_creates_a_key(certificate, settings, tmp_path):
    settings.HOME = tmp_path / "elsewhere"
    signing.keys.forget()
    result = services.check(certificate, online=False)
    assert result.status == services.FORGED and "--public-key" in result.message
    assert not signing.path().exists()


def test_the_online_status_tells_the_outcome_and_time_but_nothing_of_the_invoice(verify):
    row = verify()
    status = services.public_status(row.public_id, services.check_key(row.public_id))
    assert status == {
        "verification_id": str(row.public_id),
        "exists": True,
        "outcome": "authentic",
        "description": services.describe("authentic"),
        "checked_at": services.local_time(row.created_at),
    }
    other = uuid.uuid4()
    assert services.public_status(other, services.check_key(other)) is None
    assert services.public_status("not-a-uuid", "") is None


def test_the_online_status_needs_the_key_the_certificate_carries(verify):
    row = verify()
    assert services.public_status(row.public_id, "") is None
    assert services.public_status(row.public_id, services.check_key(uuid.uuid4())) is None
    assert services.check_url(row.public_id).endswith(f"?key={services.check_key(row.public_id)}")


def test_rotating_the_key_is_audited(audit_events):
    generation = services.rotate_key()
    assert audit_events[-1]["action"] == "certificate.key_rotate"
    assert audit_events[-1]["detail"] == {
        "key_generation": generation.number,
        "fingerprint": generation.fingerprint,
    }


def test_times_are_written_in_china_time():
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert services.local_time(moment) == "2026-01-02T11:04:05+08:00"


DATA = Path(__file__).parent / "data"


def test_a_certificate_issued_earlier_stays_genuine_with_its_public_certificate():
    """issued.pdf (a not_found verification, made once, key valid from 2025 for 60 years) and
    issued.pem: pyHanko must keep packaging signatures as it did, or every certificate issued
    before an upgrade would read as altered."""
    roots = signing.load_public_certificates((DATA / "issued.pem").read_bytes())
    result = services.check((DATA / "issued.pdf").read_bytes(), online=False, trust_roots=roots)
    assert result.genuine, result.message
    assert result.certifies["verification_id"] == "5e1f6a2c-0b7d-4c3e-9a51-2f8d6b4c1e09"
    assert result.certifies["checked_at"] == "2026-03-01T10:03:04+08:00"
