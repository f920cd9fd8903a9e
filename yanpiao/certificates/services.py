"""Issue and check verification certificates: what the web, the API and the command call.

- :func:`issue` renders the certificate of a verification the viewer may see (the caller
  fetched it through :func:`yanpiao.access.visibility.verification_for`), signs it and records
  ``certificate.issue`` in the audit log.
- :func:`check` says whether bytes are a genuine certificate: one PAdES signature, intact,
  valid, by one of our keys, covering the entire file (an update appended after signing is an
  alteration), and, ``online``, of a verification that exists with the outcome it states.
  Hostile input costs little: more than :data:`MAX_BYTES` is refused unread, and a file
  pyHanko cannot read is an answer (``not_certificate`` or ``altered``), never an exception.
- :func:`public_status` is the online check behind the QR code: whether the verification
  exists, its outcome and time, nothing of the invoice.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import json
import logging
import uuid
import zoneinfo
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from yanpiao.access import disclosure
from yanpiao.certificates import pdf, signing
from yanpiao.fapiao import types
from yanpiao.fapiao.invoice import spec_of
from yanpiao.registry.models import Status
from yanpiao.security import audit, keys
from yanpiao.verification.models import Channel, Verification
from yanpiao.verification.services import describe

logger = logging.getLogger(__name__)

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
CHECK_KEY_PURPOSE = "certificate online check"
MAX_BYTES = 2 * 1024 * 1024  # a certificate is some tens of kilobytes
ATTACHMENT = "yanpiao-certificate.json"
MARKER = b"yanpiao-certificate"  # in the attachment's name, the JSON and the document info
KEY_FIELDS = ("type", "code", "number", "issue_date", "amount", "check_code", "total")

GENUINE = "genuine"
ALTERED = "altered"
FORGED = "forged"
NOT_CERTIFICATE = "not_certificate"
UNKNOWN_VERIFICATION = "unknown_verification"
STATUSES = (GENUINE, ALTERED, FORGED, NOT_CERTIFICATE, UNKNOWN_VERIFICATION)


@dataclass(frozen=True)
class CertificateCheck:
    """The answer of :func:`check`.  ``certifies`` (the embedded JSON) only when genuine."""

    status: str
    message: str
    certifies: dict | None = None
    signer_fingerprint: str | None = None  # SHA-256 of the signing certificate, when it was read
    signed_at: str | None = None  # as the signer reported it

    @property
    def genuine(self) -> bool:
        return self.status == GENUINE

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "genuine": self.genuine}


# --- issuing -------------------------------------------------------------------------------------


def check_url(verification_id) -> str:
    """The online check of a verification, which the certificate's QR code points at: with the
    key that only the certificate carries (:func:`check_key`)."""
    return (
        f"{settings.YANPIAO_SITE_URL}/api/v1/certificates/{verification_id}?key={check_key(verification_id)}"
    )


def check_key(verification_id) -> str:
    """A keyed digest of the verification id, printed in the certificate's QR code: whoever holds
    the certificate may look the check up online; whoever knows only its id (from a log, an
    export) may not."""
    mac = hmac.new(keys.derived_key(CHECK_KEY_PURPOSE), str(verification_id).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).rstrip(b"=").decode()


def filename(verification_id) -> str:
    """The name to offer a certificate's download under."""
    return f"yanpiao-certificate-{verification_id}.pdf"


def local_time(moment: datetime.datetime) -> str:
    """ISO 8601 to the second with the offset of China (UTC+08:00)."""
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def issue(viewer, verification: Verification) -> bytes:
    """The signed certificate PDF of ``verification`` as ``viewer`` may see it; audited.

    ``viewer`` is the user who asks (or None for the operator on the command line, who sees
    everything, as the other commands do)."""
    generation = signing.signing_generation()
    content = certificate_content(viewer, verification, generation.fingerprint)
    certifies = content.certifies()
    signed = signing.sign(
        pdf.render(content),
        attachment=json.dumps(certifies, ensure_ascii=False, indent=1).encode(),
        attachment_name=ATTACHMENT,
        description=f"{pdf.TITLE}: what it certifies",
    )
    audit.record(
        audit.Action.CERTIFICATE_ISSUE,
        actor=viewer,
        target=audit.target(Verification, verification.public_id),
        detail={"outcome": verification.outcome, "key_generation": generation.number},
    )
    return signed


def certificate_content(viewer, verification: Verification, signer_fingerprint: str) -> pdf.Content:
    """What the certificate of ``verification`` shows ``viewer``, through the disclosure rules."""
    view = disclosure.verification_view(viewer, verification)
    submitted = verification.submitted or {}
    key_fields = {name: str(submitted[name]) for name in KEY_FIELDS if submitted.get(name)}
    rows = [
        pdf.Row(_label(name), _shown(name, value), mono=name != "type") for name, value in key_fields.items()
    ]
    document = submitted.get("document")
    if isinstance(document, dict) and document.get("format"):
        rows.append(pdf.Row("查验文件  Document", str(document["format"]), mono=True))
    differences = tuple(
        dict.fromkeys(str(d.get("field", "")) for d in verification.differences if isinstance(d, dict))
    )
    invoice_rows, invoice_json = None, None
    total = key_fields.get("total") or key_fields.get("amount") or ""
    if view.invoice is not None:
        invoice_rows, invoice_json = _invoice(viewer, view.invoice)
        total = invoice_json["total"]
    checked_at = local_time(verification.created_at)
    issued_at = local_time(timezone.now())
    url = check_url(verification.public_id)
    certified = {
        "verification_id": str(verification.public_id),
        "outcome": verification.outcome,
        "description": view.description,
        "checked_at": checked_at,
        "channel": verification.channel,
        "submitted": key_fields,
        "differences": [d for d in differences if d],
        "invoice": invoice_json,
        "total": total,
        "check_url": url,
        "issued_at": issued_at,
        "signer_fingerprint": signer_fingerprint,
    }
    return pdf.Content(
        verification_id=str(verification.public_id),
        outcome=verification.outcome,
        description=view.description,
        checked_at=checked_at,
        channel=_channel(verification.channel),
        submitted=tuple(rows),
        differences=tuple(_label(d) for d in differences if d),
        invoice=invoice_rows,
        total=total,
        check_url=url,
        issued_at=issued_at,
        signer_fingerprint=signer_fingerprint,
        certified=certified,
    )


def _label(name: str) -> str:
    spec = spec_of(name)
    return f"{spec.label}  {spec.meaning.capitalize()}" if spec else name


def _shown(name: str, value: str) -> str:
    if name == "type":
        return f"{value} {types.NAMES.get(value, '')}".strip()
    return value


def _channel(channel: str) -> str:
    try:
        return f"{Channel(channel).label}  {channel}"
    except ValueError:
        return channel


def _invoice(viewer, invoice) -> tuple[tuple[pdf.Row, ...], dict]:
    """The registered invoice's summary as rows for the page and as JSON; its parties as
    :func:`~yanpiao.access.disclosure.invoice_view` shows them (masked for staff)."""
    view = disclosure.invoice_view(viewer, invoice)
    seller, buyer = dict(view.seller.fields), dict(view.buyer.fields)
    status = invoice.status
    try:
        status_label = f"{Status(status).label}  {status}"
    except ValueError:
        status_label = status
    summary = {
        "type": invoice.type,
        "code": invoice.code,
        "number": invoice.number,
        "issue_date": str(invoice.issue_date),
        "seller": {"name": seller.get("name", ""), "tax_id": seller.get("tax_id", "")},
        "buyer": {"name": buyer.get("name", ""), "tax_id": buyer.get("tax_id", "")},
        "amount": str(invoice.amount),
        "tax": str(invoice.tax),
        "total": str(invoice.total),
        "total_in_words": invoice.total_in_words or "",
        "status": status,
    }
    rows = [
        pdf.Row(_label("type"), _shown("type", invoice.type)),
        pdf.Row(_label("code"), invoice.code or "—", mono=True),
        pdf.Row(_label("number"), invoice.number, mono=True),
        pdf.Row(_label("issue_date"), summary["issue_date"], mono=True),
        pdf.Row("销售方  Seller", _party(summary["seller"])),
        pdf.Row("购买方  Buyer", _party(summary["buyer"])),
        pdf.Row(_label("amount"), summary["amount"], mono=True),
        pdf.Row(_label("tax"), summary["tax"], mono=True),
        pdf.Row(
            _label("total"),
            f"{summary['total']}  {summary['total_in_words']}".strip(),
        ),
        pdf.Row(_label("status"), status_label),
    ]
    return tuple(rows), summary


def _party(party: dict) -> str:
    return "  ".join(value for value in (party["name"], party["tax_id"]) if value) or "—"


# --- checking ------------------------------------------------------------------------------------


def check(
    data: bytes, *, online: bool = True, trust_roots: list[x509.Certificate] | None = None
) -> CertificateCheck:
    """Whether ``data`` is a genuine certificate, and what it certifies (:func:`_check`).  One
    forged, altered or certifying what the database does not confirm, naming a check of a
    registered invoice, marks that invoice and raises the ``forged_certificate`` alert."""
    found = _check(data, online=online, trust_roots=trust_roots)
    if found.status in (ALTERED, FORGED, UNKNOWN_VERIFICATION):
        _report_forgery(data)
    return found


def _report_forgery(data: bytes) -> None:
    """Tell the alerts of a forged certificate of a check of a registered invoice, if it names one."""
    from yanpiao.alerts import services as alerts

    try:
        public_id = uuid.UUID(str((_attachment(data) or {}).get("verification_id")))
    except ValueError:
        return
    invoice_id = Verification.objects.filter(public_id=public_id).values_list("invoice_id", flat=True).first()
    alerts.mark_invoice(alerts.Kind.FORGED_CERTIFICATE, invoice_id, [public_id])


def _check(
    data: bytes, *, online: bool = True, trust_roots: list[x509.Certificate] | None = None
) -> CertificateCheck:
    """Whether ``data`` is a genuine certificate, and what it certifies.

    ``trust_roots`` are the certificates to trust (default: every generation of our key);
    ``online`` also asks the database whether the verification exists as certified.
    """
    if not data:
        return CertificateCheck(NOT_CERTIFICATE, "an empty file is not a certificate")
    if len(data) > MAX_BYTES:
        return CertificateCheck(
            NOT_CERTIFICATE, f"larger than {MAX_BYTES // (1024 * 1024)} MB: not a certificate (left unread)"
        )
    if b"%PDF-" not in data[:1024]:
        return _unreadable(data, "not a PDF file")
    roots = signing.trusted_certificates() if trust_roots is None else list(trust_roots)
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # a PDF pyHanko cannot read: damaged, or hostile
        logger.debug("certificate check: unreadable PDF", exc_info=True)
        return _unreadable(data, f"the PDF cannot be read ({type(exc).__name__})")
    if not signatures:
        return _unreadable(data, "the PDF carries no signature")
    try:
        verdict = signing.verify(signatures[0], roots)
    except Exception as exc:  # a signature that cannot even be parsed
        logger.debug("certificate check: unreadable signature", exc_info=True)
        return _unreadable(data, f"its signature cannot be read ({type(exc).__name__})")
    found = {"signer_fingerprint": verdict.signer_fingerprint or None, "signed_at": verdict.signed_at}
    ours = MARKER in data
    if not (verdict.intact and verdict.valid):
        if not ours:
            return CertificateCheck(NOT_CERTIFICATE, "a signed PDF, but not a Yanpiao certificate", **found)
        return CertificateCheck(ALTERED, "changed after signing: the signature no longer matches", **found)
    if not verdict.trusted:
        if verdict.signer_key and any(signing.public_key_der(c) == verdict.signer_key for c in roots):
            return CertificateCheck(
                ALTERED, "changed after signing: its signing certificate was changed", **found
            )
        if not ours:
            return CertificateCheck(NOT_CERTIFICATE, "a signed PDF, but not a Yanpiao certificate", **found)
        reason = "" if roots else " (no public certificate to check against: pass --public-key)"
        return CertificateCheck(FORGED, f"not signed by a Yanpiao certificate key{reason}", **found)
    if not verdict.entire_file or len(signatures) > 1:
        return CertificateCheck(
            ALTERED, "changed after signing: content was appended after the signature", **found
        )
    signer = next((c for c in roots if _fingerprint(c) == verdict.signer_fingerprint), None)
    try:
        as_written = signer is not None and signing.as_written(data, signatures[0], signer)
    except Exception:  # a signature structure pyHanko cannot package again
        logger.debug("certificate check: signature not re-encodable", exc_info=True)
        as_written = False
    if not as_written:
        return CertificateCheck(ALTERED, "changed after signing: the signature's bytes were changed", **found)
    certifies = _attachment(data)
    if certifies is None:
        return CertificateCheck(NOT_CERTIFICATE, "signed by Yanpiao, but it certifies nothing", **found)
    if online:
        problem = _online_problem(certifies)
        if problem:
            return CertificateCheck(UNKNOWN_VERIFICATION, problem, **found)
    what = f"verification {certifies.get('verification_id')}: {certifies.get('outcome')}"
    return CertificateCheck(
        GENUINE,
        f"signed by Yanpiao and unchanged; certifies {what}, checked {certifies.get('checked_at')}"
        + ("" if online else " (signature only; the verification was not looked up)"),
        certifies=certifies,
        **found,
    )


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _unreadable(data: bytes, reason: str) -> CertificateCheck:
    """A file we cannot validate: damaged if it carries our marker, else not one of ours."""
    if MARKER in data:
        return CertificateCheck(ALTERED, f"damaged: {reason}")
    return CertificateCheck(NOT_CERTIFICATE, reason)


def _attachment(data: bytes) -> dict | None:
    """The embedded JSON of a signed, intact certificate (so produced by :func:`issue`)."""
    try:
        root = PdfFileReader(io.BytesIO(data), strict=False).root
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == ATTACHMENT:
                stream = names[index + 1].get_object()["/EF"]["/F"].get_object()
                found = json.loads(stream.data)
                if isinstance(found, dict) and found.get("format") == pdf.FORMAT:
                    return found
    except Exception:  # not laid out as issue() lays it out
        logger.debug("certificate check: no attachment", exc_info=True)
    return None


def _online_problem(certifies: dict) -> str:
    """Why the database does not confirm the certified verification, or "" when it does."""
    try:
        public_id = uuid.UUID(str(certifies.get("verification_id")))
    except ValueError:
        return "it names no verification"
    row = Verification.objects.filter(public_id=public_id).values("outcome", "created_at").first()
    if row is None:
        return f"no verification {public_id} was ever made here"
    if row["outcome"] != certifies.get("outcome") or local_time(row["created_at"]) != certifies.get(
        "checked_at"
    ):
        return f"verification {public_id} exists, but not with the outcome and time certified"
    return ""


def public_status(verification_id, key: str) -> dict | None:
    """The online check: a verification's outcome and time, nothing of the invoice; None when
    there is no such verification, the id is not one, or ``key`` is not the certificate's."""
    try:
        public_id = uuid.UUID(str(verification_id))
    except ValueError:
        return None
    if not hmac.compare_digest(str(key or "").encode(), check_key(public_id).encode()):
        return None
    row = Verification.objects.filter(public_id=public_id).values("outcome", "created_at").first()
    if row is None:
        return None
    return {
        "verification_id": str(public_id),
        "exists": True,
        "outcome": row["outcome"],
        "description": describe(row["outcome"]),
        "checked_at": local_time(row["created_at"]),
    }


# --- the operator ---------------------------------------------------------------------------------


def verification_by_id(verification_id) -> Verification | None:
    """Any verification by its public id, for the operator's command (who sees everything)."""
    try:
        public_id = uuid.UUID(str(verification_id))
    except ValueError:
        return None
    return Verification.objects.select_related("actor", "invoice").filter(public_id=public_id).first()


def rotate_key() -> signing.Generation:
    """A new signing key generation; audited.  Certificates signed before stay genuine."""
    generation = signing.rotate()
    audit.record(
        audit.Action.CERTIFICATE_KEY_ROTATE,
        detail={"key_generation": generation.number, "fingerprint": generation.fingerprint},
    )
    return generation
