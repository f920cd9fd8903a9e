"""The QR payload printed on invoices: ``01,type,code,number,amount,YYYYMMDD,check,CRC,``.

Fields, counted from 1 as error messages do: version (always ``01``), type code, 发票代码
(empty for 数电票), 发票号码, amount (excl. tax before 数电, 价税合计 on 数电票), issue date,
校验码 (empty where none is printed), then a CRC and an optional empty field.  The CRC is CRC-16/UMTS (poly 0x8005, init 0, no
reflection) over the text of fields 1-7 *including* the comma after field 7; older
e-普票 payloads compute it without that comma, so both are accepted.  The CRC proves
internal consistency only: anyone can compute it.

Yunnan blockchain invoices put the seller's tax ID before the amount, carry no check code
and end with 64 hex digits instead of a CRC: ``crc_valid`` is None for them (not False:
there is nothing to check).  Shenzhen blockchain QR codes are URLs and do not parse.

:func:`to_query_fields` leaves ``type`` empty for types Yanpiao does not know (51, 61, …).

:func:`build` writes the amount with two decimal places, as most real payloads do
(``0.01``, ``10.70``, ``633.00``); on input ``57``, ``6.2`` and ``64.9`` are accepted too.

>>> p = parse("01,32,,26427000000375586818,10.70,20260430,,FAFB")
>>> p.type, p.number, p.amount, p.issue_date, p.crc_valid, p.amount_field()
('32', '26427000000375586818', Decimal('10.70'), datetime.date(2026, 4, 30), True, 'total')
>>> crc16("123456789")
'FEE8'
>>> crc_ok("01,10,044001500111,81966722,173.79,20170524,17884534745749991611,BE2D")
True
>>> build("10", "033001800111", "25672225", Decimal("76.72"), datetime.date(2018, 6, 10),
...       "82076771121721427121")
'01,10,033001800111,25672225,76.72,20180610,82076771121721427121,CB32,'
>>> parse("01,10,033001800111,25672225,76.72,2018-06-10,,CB32")
Traceback (most recent call last):
...
yanpiao.fapiao.qr.QrFormatError: QR field 6 (issue date) must be YYYYMMDD, got '2018-06-10'

**Signed payloads** (Yanpiao's own; docs/api.md, "Signed QR payloads").  An invoice registered
through Yanpiao gets a payload that is the standard one with a 9th field holding a signature:
where the standard allows an optional empty field, a signed payload has ``YPS1:`` and the
signature in base64url without padding::

    01,32,,26427000000375586818,10.70,20260430,,FAFB,YPS1:AQbJ38b2…(92 characters)

Fields 1-8 are unchanged, so a standard reader (which reads fields by position) still reads
them.  The signature is over :func:`signature_message`: ``yanpiao-qr-1`` and a newline, then
the key fields in their canonical form — ``01,type,code,number,amount,YYYYMMDD,check code``
with the amount at two places (for the blockchain form the seller's tax ID before the
amount).  The CRC is not signed (it follows from the fields); every key field is.  What the
signature bytes are (a Tink Ed25519 signature: a 5-byte key id prefix, then 64 bytes) is the
business of :mod:`yanpiao.security.qr_signature`; this module only carries them.

>>> signed = with_signature("01,32,,26427000000375586818,10.70,20260430,,FAFB,", b"\\x01" * 69)
>>> signed[-20:]
'AQEBAQEBAQEBAQEBAQEB'
>>> split_signature(signed) == ("01,32,,26427000000375586818,10.70,20260430,,FAFB,", b"\\x01" * 69)
True
>>> p = parse(signed)
>>> p.number, p.crc_valid, len(p.signature)
('26427000000375586818', True, 69)
>>> signature_message(p)
b'yanpiao-qr-1\\n01,32,,26427000000375586818,10.70,20260430,'
>>> split_signature("01,32,,26427000000375586818,10.70,20260430,,FAFB")[1] is None
True
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from yanpiao.fapiao import types

VERSION = "01"
# 数电 types whose QR amount is 价税合计 (incl. tax): 31/32, railway 51, air 61, 83.
TOTAL_TYPES = frozenset({"31", "32", "51", "61", "83"})

_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
# A seller tax ID where the amount belongs marks the blockchain form.
_TAX_ID = re.compile(r"[0-9A-Za-z]{15,20}")
_CENT = Decimal("0.01")
# The signature field of a signed payload: the marker, then base64url without padding.
SIGNATURE_MARKER = "YPS1:"
SIGNATURE_CONTEXT = b"yanpiao-qr-1\n"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
MAX_SIGNATURE_CHARS = 256  # a Tink Ed25519 signature is 92; anything much longer is not one


class QrFormatError(ValueError):
    """The text is not an invoice QR payload."""


def crc16(text: str) -> str:
    """CRC-16/UMTS of the ASCII text, as 4 upper-case hex digits."""
    crc = 0
    for byte in text.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


@dataclass(frozen=True)
class QrPayload:
    type: str
    code: str
    number: str
    amount: Decimal
    issue_date: datetime.date
    check_code: str
    crc: str
    seller_tax_id: str = ""
    # Fields 1-7 as received (after trimming): what the CRC covers.
    signed_text: str = field(default="", compare=False, repr=False)
    # The bytes of a Yanpiao signature field (b"" when the field is not base64url), else None.
    signature: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def is_blockchain(self) -> bool:
        """The Yunnan blockchain form (seller tax ID inside, a 64-hex digest instead of a CRC)."""
        return bool(self.seller_tax_id)

    @property
    def crc_valid(self) -> bool | None:
        """Whether the CRC matches (either variant); None when the payload has no CRC."""
        if self.is_blockchain:
            return None
        signed = self.signed_text or _signed_text(self)
        return self.crc.upper() in (crc16(signed + ","), crc16(signed))

    def amount_field(self) -> str:
        """``"total"`` where the amount is 价税合计 (数电), else ``"amount"`` (excl. tax)."""
        return "total" if self.type in TOTAL_TYPES else "amount"


def _signed_text(payload: QrPayload) -> str:
    fields = [VERSION, payload.type, payload.code, payload.number, _format_amount(payload.amount)]
    return ",".join([*fields, payload.issue_date.strftime("%Y%m%d"), payload.check_code])


def _format_amount(amount: Decimal) -> str:
    return format(amount.quantize(_CENT), "f")


def _fields(text: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        raise QrFormatError("the QR payload is empty")
    fields = [part.strip() for part in text.strip().replace("，", ",").split(",")]
    if len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return fields


def _amount(value: str, index: int) -> Decimal:
    if not _AMOUNT.fullmatch(value):
        raise QrFormatError(
            f"QR field {index} (amount) must be a decimal with at most 2 places, got {value!r}"
        )
    return Decimal(value).quantize(_CENT)


def _date(value: str, index: int) -> datetime.date:
    try:
        if not re.fullmatch(r"[0-9]{8}", value):
            raise ValueError
        return datetime.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise QrFormatError(f"QR field {index} (issue date) must be YYYYMMDD, got {value!r}") from None


def _check(fields: list[str]) -> None:
    version, type_code, code, number = fields[:4]
    if version != VERSION:
        raise QrFormatError(f"QR field 1 (version) must be {VERSION}, got {version!r}")
    if not re.fullmatch(r"[0-9]{2}", type_code):
        raise QrFormatError(f"QR field 2 (type) must be a two-digit type code, got {type_code!r}")
    if code and not re.fullmatch(r"[0-9]{10}|[0-9]{12}", code):
        raise QrFormatError(f"QR field 3 (发票代码) must be empty or 10 or 12 digits, got {code!r}")
    if not re.fullmatch(r"[0-9]{8}|[0-9]{20}", number):
        raise QrFormatError(f"QR field 4 (发票号码) must be 8 or 20 digits, got {number!r}")


def parse(text: str) -> QrPayload:
    """Parse a payload, signed or not; raises :class:`QrFormatError` naming the field that is wrong."""
    fields = _fields(text)
    signature = None
    if len(fields) == 9 and fields[8].startswith(SIGNATURE_MARKER):
        signature = _signature_bytes(fields.pop())
    payload = _parse_fields(fields)
    return replace(payload, signature=signature) if signature is not None else payload


def _parse_fields(fields: list[str]) -> QrPayload:
    if len(fields) == 8 and _TAX_ID.fullmatch(fields[4]):
        return _parse_blockchain(fields)
    if len(fields) != 8:
        raise QrFormatError(
            f"a QR payload has 8 comma-separated fields (01,type,code,number,amount,date,check code,CRC), "
            f"got {len(fields)}"
        )
    _check(fields)
    check_code, crc = fields[6], fields[7]
    if check_code and not re.fullmatch(r"[0-9]{20}", check_code):
        raise QrFormatError(f"QR field 7 (校验码) must be empty or 20 digits, got {check_code!r}")
    if not _HEX4.fullmatch(crc):
        raise QrFormatError(f"QR field 8 (CRC) must be 4 hex digits, got {crc!r}")
    return QrPayload(
        type=fields[1],
        code=fields[2],
        number=fields[3],
        amount=_amount(fields[4], 5),
        issue_date=_date(fields[5], 6),
        check_code=check_code,
        crc=crc.upper(),
        signed_text=",".join(fields[:7]),
    )


def _parse_blockchain(fields: list[str]) -> QrPayload:
    _check(fields)
    if not _HEX64.fullmatch(fields[7]):
        raise QrFormatError(f"QR field 8 of a blockchain payload must be 64 hex digits, got {fields[7]!r}")
    return QrPayload(
        type=fields[1],
        code=fields[2],
        number=fields[3],
        amount=_amount(fields[5], 6),
        issue_date=_date(fields[6], 7),
        check_code="",
        crc=fields[7].lower(),
        seller_tax_id=fields[4].upper(),
        signed_text=",".join(fields[:7]),
    )


def crc_ok(text: str) -> bool:
    """True when ``text`` parses and its CRC matches (with or without the comma after field 7)."""
    try:
        return parse(text).crc_valid is True
    except QrFormatError:
        return False


def build(
    type: str, code: str, number: str, amount: Decimal, issue_date: datetime.date, check_code: str = ""
) -> str:
    """The canonical payload: amount with two places, CRC over fields 1-7 and the comma, trailing comma."""
    signed = ",".join(
        [VERSION, type, code, number, _format_amount(amount), issue_date.strftime("%Y%m%d"), check_code]
    )
    return f"{signed},{crc16(signed + ',')},"


def _signature_bytes(signature_field: str) -> bytes:
    """The bytes of a signature field; b"" when it is not base64url (a signature that cannot check)."""
    encoded = signature_field[len(SIGNATURE_MARKER) :]
    if len(encoded) > MAX_SIGNATURE_CHARS or not _BASE64URL.fullmatch(encoded):
        return b""
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return b""


def split_signature(text: str) -> tuple[str, bytes | None]:
    """``(standard payload, signature)``: the signature is None when the text has no signature
    field, b"" when the field is there but not base64url.  The standard payload ends with the
    comma of its optional 9th field, as :func:`build` writes it.  Never raises on any string."""
    try:
        fields = _fields(text)
    except QrFormatError:
        return (text if isinstance(text, str) else "", None)
    if len(fields) < 2 or not fields[-1].startswith(SIGNATURE_MARKER):
        return text.strip(), None
    return ",".join(fields[:-1]) + ",", _signature_bytes(fields[-1])


def signature_field(signature: bytes) -> str:
    """The 9th field of a signed payload: the marker and the signature in base64url, unpadded."""
    return SIGNATURE_MARKER + base64.urlsafe_b64encode(signature).decode("ascii").rstrip("=")


def with_signature(standard: str, signature: bytes) -> str:
    """The signed payload: the standard payload's 8 fields (unchanged), then the signature field.

    Raises :class:`QrFormatError` unless ``standard`` is an unsigned payload that parses."""
    payload = parse(standard)
    if payload.signature is not None:
        raise QrFormatError("the QR payload is signed already")
    fields = _fields(standard)
    return ",".join([*fields, signature_field(signature)])


def signature_message(payload: QrPayload) -> bytes:
    """What the signature of a signed payload is over: the context line, then the key fields in
    their canonical form (amount at two places, date as YYYYMMDD; see the module docstring)."""
    fields = [VERSION, payload.type, payload.code, payload.number]
    if payload.seller_tax_id:
        fields.append(payload.seller_tax_id)
    fields += [_format_amount(payload.amount), payload.issue_date.strftime("%Y%m%d"), payload.check_code]
    return SIGNATURE_CONTEXT + ",".join(fields).encode("ascii")


def of_invoice(invoice) -> str:
    """The standard payload of an invoice (any object with the invoice's fields): 价税合计 for the
    数电 types (:data:`TOTAL_TYPES`), the amount excl. tax otherwise."""
    amount = invoice.total if invoice.type in TOTAL_TYPES else invoice.amount
    return build(invoice.type, invoice.code, invoice.number, amount, invoice.issue_date, invoice.check_code)


def to_query_fields(payload: QrPayload) -> dict[str, str]:
    """The verification key fields the payload carries, as text (``amount`` or ``total``)."""
    fields = {
        "type": payload.type if payload.type in types.NAMES else "",
        "code": payload.code,
        "number": payload.number,
        "issue_date": payload.issue_date.isoformat(),
        "check_code": payload.check_code,
    }
    fields[payload.amount_field()] = _format_amount(payload.amount)
    return fields


__all__ = [
    "SIGNATURE_MARKER",
    "QrFormatError",
    "QrPayload",
    "build",
    "crc16",
    "crc_ok",
    "of_invoice",
    "parse",
    "signature_field",
    "signature_message",
    "split_signature",
    "to_query_fields",
    "with_signature",
]
