"""A bare QR payload (from a hardware scanner or a decoded image) as an invoice candidate.

>>> c = candidate_from_payload("01,32,,26427000000375586818,10.70,20260430,,FAFB")
>>> c.fields["total"], c.sources["total"], c.findings
('10.70', 'qr', [])
>>> candidate_from_payload("01,32,,26427000000375586818,10.71,20260430,,FAFB").findings[0].rule
'qr.crc'
"""

from yanpiao.fapiao import qr
from yanpiao.fapiao.findings import ERROR, WARNING, Finding
from yanpiao.intake.candidate import QR, Candidate, Extraction
from yanpiao.intake.limits import RefusedDocument


def looks_like_payload(text: str) -> bool:
    return text.lstrip().startswith(("01,", "01，"))


def candidate_from_payload(text: str) -> Candidate:
    """The key fields of a QR payload; a CRC that does not match is an error finding."""
    payload = qr.parse(text)
    candidate = Candidate()
    for name, value in qr.to_query_fields(payload).items():
        candidate.set(name, value, QR)
        if value:
            candidate.qr[name] = value
    if payload.crc_valid is False:
        candidate.findings.append(
            Finding(
                "qr.crc",
                "qr",
                ERROR,
                "the QR code's CRC does not match its content: it was altered or mistyped",
            )
        )
    elif payload.crc_valid is None:
        candidate.findings.append(
            Finding(
                "qr.blockchain", "qr", WARNING, "blockchain invoice QR: its signature is not checked here"
            )
        )
    return candidate


def read(data: bytes) -> Extraction:
    text = data.decode("utf-8", errors="strict").strip()
    try:
        return Extraction("qr", [candidate_from_payload(text)])
    except qr.QrFormatError as exc:
        raise RefusedDocument("malformed", f"not an invoice QR payload: {exc}") from None
