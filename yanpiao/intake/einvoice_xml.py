"""The 数电 XML (``EInvoice``, no namespace) that the tax bureau issues beside the PDF and OFD.

Structure (docs/invoice-facts.md §8, and the real samples)::

    EInvoice/Header/{EIid, InherentLabel/{GeneralOrSpecialVAT,EInvoiceType}/{LabelCode,LabelName}}
    EInvoice/EInvoiceData/{SellerInformation, BuyerInformation, BasicInformation,
                           IssuItemInformation*, SpecificInformation, AdditionalInformation/Remark}
    EInvoice/TaxSupervisionInfo/{InvoiceNumber, IssueTime}

Traps: ``TotalTax-includedAmount`` has a hyphen; rates are decimals (``0.060000``); a toll
invoice has a ``PlateNumber`` before its ``InvoiceNumber``, so every field is read by its full
path, never by searching for a name.  Every field read is recorded with the source ``xml``.
Element names come from :mod:`yanpiao.fapiao.formats.einvoice_xml`, shared with the writer.

The normalisers and content checks below are shared with the OFD reader, whose attached
XML and page text hold the same fields.

>>> money("¥1,234.5"), rate("0.060000"), rate("13%"), rate("免税"), issue_date("2020年10月10日")
('1234.50', '0.06', '0.13', 'exempt', '2020-10-10')
>>> xml = ("<EInvoice><Header><EIid>26427000000375586818</EIid></Header><EInvoiceData>"
...        "<BasicInformation><TotalTax-includedAmount>10.70</TotalTax-includedAmount>"
...        "<RequestTime>2026-04-30 10:00:00</RequestTime></BasicInformation></EInvoiceData></EInvoice>")
>>> c = read(xml.encode()).candidates[0]
>>> c.fields["number"], c.fields["issue_date"], c.fields["total"], c.sources["total"]
('26427000000375586818', '2026-04-30', '10.70', 'xml')
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from yanpiao.fapiao import amount_words, arithmetic, types
from yanpiao.fapiao.findings import ERROR, WARNING, Finding
from yanpiao.fapiao.formats import einvoice_xml as xml
from yanpiao.fapiao.invoice import (
    AMOUNT,
    CENT,
    DATE,
    IDENTIFIER,
    QUANTITY,
    RATE,
    TEXT,
    InvoiceFormatError,
    from_json,
    parse_date,
    spec_of,
)
from yanpiao.intake import safe, specimen
from yanpiao.intake.candidate import XML, Candidate, Extraction
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

# --- normalisers shared with the OFD reader -------------------------------------------------

SPECIAL_RATES = {"免税": "exempt", "不征税": "not_taxable", "exempt": "exempt", "not_taxable": "not_taxable"}
# The red-letter remark; a public note also shows 数电票号码 without 发.
RED_LETTER_REMARK = re.compile(r"被红冲蓝字数电(?:发)?票号码[:：]\s*([0-9]{20})")


def compact(text: str | None) -> str:
    """Codes, numbers, tax IDs and check codes without any spaces (``16197 83356 …``)."""
    return "".join((text or "").split())


def _decimal(text: str | None) -> Decimal | None:
    cleaned = compact(text).replace(",", "").lstrip("¥￥")
    try:
        number = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def money(text: str | None) -> str | None:
    """An amount as invoice JSON writes it (two places), or None when it is not one."""
    number = _decimal(text)
    if number is None or abs(number) > amount_words.MAX_AMOUNT or number != number.quantize(CENT):
        return None
    return format(number.quantize(CENT) if number else Decimal("0.00"), "f")  # no -0.00


def quantity(text: str | None) -> str | None:
    """A quantity or unit price, as printed (``9433.96226415094``), or None when it is not a number."""
    number = _decimal(text)
    return compact(text).replace(",", "") if number is not None else None


def rate(text: str | None) -> str | None:
    """A tax rate as invoice JSON writes it: ``"0.13"``, ``"0"``, ``"exempt"``, ``"not_taxable"``."""
    value = compact(text)
    if value in SPECIAL_RATES:
        return SPECIAL_RATES[value]
    number = _decimal(value.removesuffix("%"))
    if number is None:
        return None
    if value.endswith("%"):
        number /= 100
    number = number.normalize()
    # A rate has a few decimals; 1E-99999 would print 100,000 zeros.
    if not 0 <= number < 1 or number.as_tuple().exponent < -12:
        return None
    return format(number, "f") if number else "0"


def issue_date(text: str | None) -> str | None:
    """``2026-06-04 09:38:46``, ``2020年10月10日`` or ``20201010`` as ``YYYY-MM-DD``."""
    value = compact(text)
    for candidate in (value[:10], value[:11], value):
        try:
            return parse_date(candidate).isoformat()
        except InvoiceFormatError:
            continue
    return None


def stripped(value: str | None) -> str | None:
    """Names, addresses and other printed text, without surrounding spaces."""
    return (value or "").strip()


# The normaliser of a field follows its kind (the FieldSpec of yanpiao.fapiao.invoice); identifiers
# (whose spaces are only print grouping: 16197 83356 …) lose every space.
BY_KIND = {AMOUNT: money, QUANTITY: quantity, RATE: rate, DATE: issue_date, IDENTIFIER: compact}


def normaliser(path: str):
    """The normaliser for the field at an invoice-JSON path (``buyer.tax_id``, ``items[].amount``).

    >>> normaliser("buyer.tax_id")(" 9111 0108 "), normaliser("items[].amount")("¥12.5")
    ('91110108', '12.50')
    >>> normaliser("drawer")(" 王芳 ")
    '王芳'
    """
    found = spec_of(path)
    return BY_KIND.get(found.kind if found else TEXT, stripped)


def red_letter_from_remarks(remarks: str) -> dict[str, str] | None:
    """The reversed 数电票 named in a red-letter invoice's remark, as ``red_letter_of``."""
    match = RED_LETTER_REMARK.search(remarks or "")
    return {"code": "", "number": match.group(1)} if match else None


# The tax bureau's test environment signs with its own CA and seals (seen in the signature of
# ofdrw's 发票示例.ofd: issuer CN 税务测试CA2(SM2), seal 测试全国统一发票监制章…, 电子印章测试系统).
TEST_ENVIRONMENT_MARKERS = ("税务测试CA", "电子印章测试系统", "测试全国统一发票监制章")


def find_test_marker(data: bytes) -> str | None:
    """The test-environment name found in signature bytes (UTF-8, as DER writes it), or None."""
    for marker in TEST_ENVIRONMENT_MARKERS:
        if marker.encode() in data:
            return marker
    return None


def finding_for_test_marker(marker: str) -> Finding:
    return Finding(
        "document.test_environment",
        "document",
        ERROR,
        "the document was issued in the tax bureau's test environment (税务测试 CA), not a real invoice: "
        f"its signature names {marker!r}",
    )


# Some issuers print no 零 for a zero 角 before the 分 (壹拾圆壹分 for 10.01, a real toll invoice).
def content_findings(fields: dict[str, Any]) -> list[Finding]:
    """大写 against 小写, and the tax arithmetic (``arithmetic.check``) when the amounts were read."""
    findings = []
    total, words = fields.get("total"), fields.get("total_in_words")
    if total and words and not amount_words.words_match(words, Decimal(total)):
        findings.append(
            Finding(
                "amount_words.mismatch",
                "total_in_words",
                ERROR,
                f"价税合计（大写） {words!r} does not state the total {total}",
            )
        )
    if not all(fields.get(name) for name in ("amount", "tax", "total")):
        return findings
    lines = fields.get("items") or []
    needed = ("name", "amount", "tax_rate", "tax")
    if not all(all(line.get(name) for name in needed) for line in lines):
        lines = []  # a line was not fully read: check the totals only
    # arithmetic.check reads the lines and the three totals; type, number, date and parties
    # are placeholders that let invoice.from_json build the Invoice it takes.
    partial = {
        "type": types.DIGITAL_ORDINARY,
        "number": "",
        "issue_date": "2000-01-01",
        "seller": {},
        "buyer": {},
        "items": [{name: line[name] for name in needed} for line in lines],
        **{name: fields[name] for name in ("amount", "tax", "total")},
    }
    try:
        return findings + arithmetic.check(from_json(partial))
    except InvoiceFormatError:
        return findings


# --- the 数电 XML --------------------------------------------------------------------------

# Element names from the format table shared with the writer; each field normalised by its kind.
LINE_FIELDS = {tag: (name, normaliser(f"items[].{name}")) for tag, name in xml.LINE_FIELDS.items()}


def _text(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _type(root: Element) -> str:
    """31 for 增值税专用发票, 32 for 普通发票, from the labels in the header."""
    labels = root.find(xml.LABELS)
    if labels is None:
        return ""
    names = _text(labels, f"{xml.TYPE_LABEL}/LabelName") + _text(labels, f"{xml.KIND_LABEL}/LabelName")
    if "专用" in names:
        return types.DIGITAL_SPECIAL
    if "普通" in names:
        return types.DIGITAL_ORDINARY
    return xml.TYPE_LABELS.get(_text(labels, f"{xml.TYPE_LABEL}/LabelCode"), "")


class _Reading:
    """Puts normalised values into the candidate, with a warning for a value that is unreadable."""

    def __init__(self, candidate: Candidate):
        self.candidate = candidate

    def put(self, path: str, text: str, normalise=str.strip) -> None:
        if not text:
            return
        value = normalise(text)
        if value is None:
            self.candidate.findings.append(
                Finding("xml.unreadable", path, WARNING, f"{path} is not readable: {text!r}")
            )
            return
        self.candidate.set(path, value, XML)


def _read_parties(root: Element, reading: _Reading) -> None:
    for role, element in xml.PARTIES.items():
        party = root.find(f"{xml.DATA}/{element}")
        if party is None:
            continue
        for suffix, name in xml.PARTY_FIELDS.items():
            path = f"{role}.{name}"
            reading.put(path, _text(party, xml.party_element(role, suffix)), normaliser(path))


def _read_items(root: Element, reading: _Reading) -> None:
    lines = []
    for element in root.iterfind(xml.LINE):
        line: dict[str, str] = {}
        for tag, (name, normalise) in LINE_FIELDS.items():
            text = _text(element, tag)
            value = normalise(text) if text else None
            if value:
                line[name] = value
            elif text:
                reading.candidate.findings.append(
                    Finding(
                        "xml.unreadable", f"items[{len(lines)}].{name}", WARNING, f"not readable: {text!r}"
                    )
                )
        if line.get("tax_rate") in ("exempt", "not_taxable") and "tax" not in line:
            line["tax"] = "0.00"  # printed ***
        lines.append(line)
    reading.candidate.set("items", lines, XML)


def _red_letter_of(root: Element, remarks: str) -> dict[str, str] | None:
    """From SpecificInformation/RedEInvoice (element names from a public note: UNCONFIRMED), or the remark."""
    red = root.find(xml.RED_LETTER)
    if red is not None:
        code = compact(red.findtext(xml.RED_LETTER_CODE))
        number = compact(red.findtext(xml.RED_LETTER_NUMBER))
        if not number and len(code) == 20:
            code, number = "", code
        if number:
            return {"code": code, "number": number}
    return red_letter_from_remarks(remarks)


def _drop_namespaces(root: Element) -> None:
    for element in root.iter():
        element.tag = safe.local_name(element.tag)


def _supervised(path: str) -> str:
    """The element of TaxSupervisionInfo that holds a field."""
    return next(tag for tag, name in xml.SUPERVISION_FIELDS.items() if name == path)


def _numbers(root: Element, candidate: Candidate) -> None:
    header_number = compact(root.findtext(xml.HEADER_NUMBER))
    supervised_number = compact(root.findtext(f"{xml.SUPERVISION}/{_supervised('number')}"))
    candidate.set("number", header_number or supervised_number, XML)
    if header_number and supervised_number and header_number != supervised_number:
        candidate.findings.append(
            Finding(
                "consistency.xml_number",
                "number",
                WARNING,
                f"the XML's header says 发票号码 {header_number}, its tax supervision part {supervised_number}",
            )
        )


def read(data: bytes, limits: Limits = DEFAULT) -> Extraction:
    """One candidate from a 数电 XML; raises :class:`RefusedDocument` for any other XML."""
    root = safe.parse_xml(data, limits)
    if safe.local_name(root.tag) != xml.ROOT:
        raise RefusedDocument(
            "not_invoice",
            f"an XML document whose root element is <{safe.local_name(root.tag)}>, not a 数电 invoice (<EInvoice>)",
        )
    if root.tag != "EInvoice":
        _drop_namespaces(root)
    candidate = Candidate()
    reading = _Reading(candidate)
    candidate.set("type", _type(root), XML)
    _numbers(root, candidate)
    issued = _text(root, f"{xml.SUPERVISION}/{_supervised('issue_date')}")
    reading.put("issue_date", issued or _text(root, f"{xml.BASIC}/{xml.REQUEST_TIME}"), issue_date)
    _read_parties(root, reading)
    _read_items(root, reading)
    for tag, path in xml.BASIC_FIELDS.items():
        reading.put(path, _text(root, f"{xml.BASIC}/{tag}"), normaliser(path))
    remarks = _text(root, xml.REMARK)
    reading.put("remarks", remarks)
    candidate.set("red_letter_of", _red_letter_of(root, remarks), XML)
    candidate.findings += content_findings(candidate.fields)
    if found := specimen.markers("", candidate.fields):
        candidate.findings.append(specimen.finding(found))
    signature = bytes.fromhex(_hex_prefix(_text(root, xml.SIGNATURE_VALUE)))
    marker = find_test_marker(signature)
    if marker:
        candidate.findings.append(finding_for_test_marker(marker))
    return Extraction("xml", [candidate])


def _hex_prefix(text: str) -> str:
    """The hex DER before ``&`` in SignatureValue (the test-environment CA would be named there)."""
    match = re.match(r"(?:[0-9A-Fa-f]{2})*", text)
    return match.group(0) if match else ""


__all__ = [
    "TEST_ENVIRONMENT_MARKERS",
    "compact",
    "content_findings",
    "issue_date",
    "money",
    "quantity",
    "rate",
    "read",
    "red_letter_from_remarks",
    "finding_for_test_marker",
    "find_test_marker",
]
