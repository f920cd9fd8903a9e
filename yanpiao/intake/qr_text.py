"""A bare QR payload (from a hardware scanner or a decoded image) as an invoice candidate.

A check value (CRC) that does not match is a warning, not a refusal: genuine invoices of some
issuing platforms carry check values computed otherwise (both real 通行费 invoices of the ETC
platform in the samples do), and the key fields are compared with the registry anyway, so an
altered QR code still comes out ``mismatch`` or ``not_found``.

The text itself is kept as ``candidate.qr_text``: a payload Yanpiao signed carries a 9th,
signature field (:mod:`yanpiao.fapiao.qr`), which the verification service checks — reading
stays below the keys.

>>> c = candidate_from_payload("01,32,,26427000000375586818,10.70,20260430,,FAFB")
>>> c.fields["total"], c.sources["total"], c.findings
('10.70', 'qr', [])
>>> candidate_from_payload("01,32,,26427000000375586818,10.71,20260430,,FAFB").findings[0].rule
'qr.crc'
"""

from yanpiao.fapiao import qr
from yanpiao.fapiao.findings import WARNING, Finding
from yanpiao.intake.candidate import QR, Candidate, Extraction
from yanpiao.intake.limits import RefusedDocument


def looks_like_payload(text: str) -> bool:
    return text.lstrip().startswith(("01,", "01，"))


def candidate_from_payload(text: str) -> Candidate:
    """The key fields of a QR payload; a CRC that does not match is a warning (see above)."""
    payload = qr.parse(text)
    candidate = Candidate(qr_text=text.strip())
    for name, value in qr.to_query_fields(payload).items():
        candidate.set(name, value, QR)
        if value:
            candidate.qr[name] = value
    if payload.crc_valid is False:
        candidate.findings.append(
            Finding(
                "qr.crc",
                "qr",
                WARNING,
                "the QR code's check value does not match its content by the tax bureau's CRC: it was "
                "altered or mistyped, or its issuing platform computes it otherwise; the registry decides",
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
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise RefusedDocument("malformed", "not an invoice QR payload: the text is not UTF-8") from None
    try:
        return Extraction("qr", [candidate_from_payload(text)])
    except qr.QrFormatError as exc:
        raise RefusedDocument("malformed", f"not an invoice QR payload: {exc}") from None
