"""The 数电 XML of an invoice: the ``EInvoice`` file downloaded beside the PDF and the OFD.

It follows the real files element for element (docs/invoice-facts.md §8): a root ``EInvoice`` without
namespace; ``Header`` (EIid = the number, EInvoiceTag ``SWEI`` + the province digits of the
number + ``00``, Version, InherentLabel, UndefinedLabel); ``EInvoiceData`` with
SellerInformation, BuyerInformation (Tel before Addr, as real files have it), BasicInformation
(``TotalTax-includedAmount`` and ``TotalTax-includedAmountInChinese`` with their hyphen), one
IssuItemInformation per line, SpecificInformation, AdditionalInformation/Remark;
``SellerAuthentication``; ``TaxSupervisionInfo`` (InvoiceNumber, IssueTime, TaxBureauCode
``1`` + province + ``00000000``, TaxBureauName).  Empty values are left out, as real files leave
out an empty SpecMod.

Choices where no real file was seen (UNCONFIRMED): a 免税 / 不征税 line has ``TaxRate`` 免税 /
不征税 and ``ComTaxAm`` 0.00; a red-letter invoice has InIssuType ``N`` and
``SpecificInformation/RedEInvoice/OriginalInvoiceCode`` with the number it reverses; the issue
time, which the registry does not keep, is derived from the number.  There is no
``TaxBureauSignature``: nothing here is signed by a tax bureau.
"""

from __future__ import annotations

import zlib
from xml.etree import ElementTree as ET

from yanpiao.documents import layout
from yanpiao.fapiao import types
from yanpiao.fapiao.code import PROVINCES
from yanpiao.fapiao.formats import einvoice_xml as xml
from yanpiao.fapiao.invoice import SPECIAL_RATES, Invoice, Item, Party, format_amount

VERSION = "0.37"
DECLARATION = '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
# Province-level names as tax bureaus are named (国家税务总局北京市税务局); 92 is Qingdao's 数电 region.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
AUTONOMOUS = {
    "15": "内蒙古自治区",
    "45": "广西壮族自治区",
    "54": "西藏自治区",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
EXTRA_REGIONS = {"92": "青岛市"}


def render_xml(invoice: Invoice) -> bytes:
    """The 数电 XML of a type 31 or 32 invoice."""
    if not types.is_digital(invoice.type):
        raise ValueError("数电 XML exists only for 数电票 (types 31 and 32)")
    root = ET.Element(xml.ROOT)
    root.append(_header(invoice))
    root.append(_data(invoice))
    _add(ET.SubElement(root, "SellerAuthentication"), "AuthenticationMethods", "01")
    root.append(_supervision(invoice))
    ET.indent(root, space="    ")
    return (DECLARATION + ET.tostring(root, encoding="unicode").replace(" />", "/>") + "\n").encode()


def _add(parent: ET.Element, name: str, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, name)
    if text:
        element.text = text
    return element


def _fields(parent: ET.Element, *pairs: tuple[str, str]) -> None:
    for name, text in pairs:
        if text:
            _add(parent, name, text)


def _label(parent: ET.Element, name: str, code: str, label: str) -> None:
    element = _add(parent, name)
    _add(element, "LabelCode", code)
    _add(element, "LabelName", label)


def region(invoice: Invoice) -> str:
    """The province digits of a 数电 number (digits 3-4)."""
    return invoice.number[2:4]


def bureau_name(region_code: str) -> str:
    if region_code in EXTRA_REGIONS:
        return f"国家税务总局{EXTRA_REGIONS[region_code]}税务局"
    if region_code in AUTONOMOUS:
        return f"国家税务总局{AUTONOMOUS[region_code]}税务局"
    if region_code in PROVINCES:
        suffix = "市" if region_code in MUNICIPALITIES else "省"
        return f"国家税务总局{PROVINCES[region_code]}{suffix}税务局"
    return ""


def _header(invoice: Invoice) -> ET.Element:
    header = ET.Element(xml.HEADER)
    _add(header, xml.HEADER_NUMBER.rpartition("/")[2], invoice.number)
    _add(header, xml.HEADER_TAG.rpartition("/")[2], f"SWEI{region(invoice)}00")
    _add(header, "Version", VERSION)
    labels = _add(header, xml.LABELS.rpartition("/")[2])
    _label(labels, "InIssuType", "N" if invoice.is_red_letter else "Y", "是否蓝字发票标志")
    _label(labels, xml.KIND_LABEL, "01", "电子发票")
    type_code = invoice.type if invoice.type in xml.LABEL_NAMES else types.DIGITAL_ORDINARY
    label_code = next(code for code, named in xml.TYPE_LABELS.items() if named == type_code)
    _label(labels, xml.TYPE_LABEL, label_code, xml.LABEL_NAMES[type_code])
    _label(labels, "TaxpayerType", "1", "一般纳税人")
    undefined = _add(_add(header, "UndefinedLabel"), "Label")
    _fields(undefined, ("LabelType", "发票开具方式标签"), ("LabelCode", "1"), ("LabelName", "网页开票"))
    return header


def _party(parent: ET.Element, party: Party, role: str) -> None:
    element = _add(parent, xml.PARTIES[role])
    for suffix in xml.PARTY_ORDER[role]:
        _fields(element, (xml.party_element(role, suffix), getattr(party, xml.PARTY_FIELDS[suffix])))


def request_time(invoice: Invoice) -> str:
    """``YYYY-MM-DD HH:MM:SS`` within office hours, derived from the number (the registry keeps no time)."""
    seconds = 8 * 3600 + zlib.crc32(invoice.number.encode()) % (10 * 3600)
    return (
        f"{invoice.issue_date.isoformat()} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    )


def tax_rate(item: Item) -> str:
    """The rate as XML writes it: ``0.06``; 免税 and 不征税 as words (UNCONFIRMED)."""
    return layout.RATE_WORDS[item.tax_rate] if item.tax_rate in SPECIAL_RATES else item.tax_rate


def _item(parent: ET.Element, item: Item) -> None:
    element = _add(parent, xml.LINE.rpartition("/")[2])
    for tag, name in xml.LINE_FIELDS.items():
        _fields(element, (tag, _line_text(item, name)))
        if name == "tax":
            _fields(element, (xml.LINE_TOTAL, format_amount(item.amount + item.tax)))


def _line_text(item: Item, name: str) -> str:
    """A line's field as the XML writes it: rates as decimals (``0.06``), 0.00 as the tax of 免税 lines."""
    if name == "tax_rate":
        return tax_rate(item)
    if name == "tax":
        return format_amount(item.tax)
    return layout.item_text(item, name)


def _data(invoice: Invoice) -> ET.Element:
    data = ET.Element(xml.DATA)
    _party(data, invoice.seller, "seller")
    _party(data, invoice.buyer, "buyer")
    basic = _add(data, xml.BASIC.rpartition("/")[2])
    for tag, path in xml.BASIC_FIELDS.items():
        text = layout.words(invoice) if path == "total_in_words" else layout.field_text(invoice, path)
        _fields(basic, (tag, text))
    _fields(basic, (xml.REQUEST_TIME, request_time(invoice)))
    for item in invoice.items:
        _item(data, item)
    specific = _add(data, xml.SPECIFIC.rpartition("/")[2])
    if invoice.red_letter_of:
        _fields(
            _add(specific, xml.RED_LETTER.rpartition("/")[2]),
            (xml.RED_LETTER_CODE, invoice.red_letter_of.number),
        )
    remark_parent, _, remark = xml.REMARK.partition("/")[2].rpartition("/")
    _fields(_add(data, remark_parent), (remark, invoice.remarks))
    return data


def _supervision(invoice: Invoice) -> ET.Element:
    supervision = ET.Element(xml.SUPERVISION)
    values = {"number": invoice.number, "issue_date": invoice.issue_date.isoformat()}
    for tag, path in xml.SUPERVISION_FIELDS.items():
        _fields(supervision, (tag, values[path]))
    _fields(
        supervision,
        (xml.TAX_BUREAU_CODE, f"1{region(invoice)}00000000"),
        (xml.TAX_BUREAU_NAME, bureau_name(region(invoice))),
    )
    return supervision


__all__ = ["render_xml"]
