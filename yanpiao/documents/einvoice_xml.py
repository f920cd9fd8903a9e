"""The 数电 XML of an invoice: the ``EInvoice`` file downloaded beside the PDF and the OFD.

It follows the real files element for element (invoice-facts.md §8): a root ``EInvoice`` without
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
    root = ET.Element("EInvoice")
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
    header = ET.Element("Header")
    _add(header, "EIid", invoice.number)
    _add(header, "EInvoiceTag", f"SWEI{region(invoice)}00")
    _add(header, "Version", VERSION)
    labels = _add(header, "InherentLabel")
    _label(labels, "InIssuType", "N" if invoice.is_red_letter else "Y", "是否蓝字发票标志")
    _label(labels, "EInvoiceType", "01", "电子发票")
    if invoice.type == types.DIGITAL_SPECIAL:
        _label(labels, "GeneralOrSpecialVAT", "01", "增值税专用发票")
    else:
        _label(labels, "GeneralOrSpecialVAT", "02", "普通发票")
    _label(labels, "TaxpayerType", "1", "一般纳税人")
    undefined = _add(_add(header, "UndefinedLabel"), "Label")
    _fields(undefined, ("LabelType", "发票开具方式标签"), ("LabelCode", "1"), ("LabelName", "网页开票"))
    return header


def _party(parent: ET.Element, party: Party, seller: bool) -> None:
    if seller:
        element = _add(parent, "SellerInformation")
        _fields(
            element,
            ("SellerIdNum", party.tax_id),
            ("SellerName", party.name),
            ("SellerAddr", party.address),
            ("SellerTelNum", party.phone),
            ("SellerBankName", party.bank),
            ("SellerBankAccNum", party.account),
        )
    else:
        element = _add(parent, "BuyerInformation")
        _fields(
            element,
            ("BuyerIdNum", party.tax_id),
            ("BuyerName", party.name),
            ("BuyerTelNum", party.phone),
            ("BuyerAddr", party.address),
            ("BuyerBankName", party.bank),
            ("BuyerBankAccNum", party.account),
        )


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
    element = _add(parent, "IssuItemInformation")
    _fields(
        element,
        ("ItemName", item.name),
        ("SpecMod", item.spec),
        ("MeaUnits", item.unit),
        ("Quantity", layout.plain(item.quantity)),
        ("UnPrice", layout.plain(item.unit_price)),
        ("Amount", format_amount(item.amount)),
        ("TaxRate", tax_rate(item)),
        ("ComTaxAm", format_amount(item.tax)),
        ("TotaltaxIncludedAmount", format_amount(item.amount + item.tax)),
        ("TaxClassificationCode", item.tax_category_code),
    )


def _data(invoice: Invoice) -> ET.Element:
    data = ET.Element("EInvoiceData")
    _party(data, invoice.seller, seller=True)
    _party(data, invoice.buyer, seller=False)
    basic = _add(data, "BasicInformation")
    _fields(
        basic,
        ("TotalAmWithoutTax", format_amount(invoice.amount)),
        ("TotalTaxAm", format_amount(invoice.tax)),
        ("TotalTax-includedAmount", format_amount(invoice.total)),
        ("TotalTax-includedAmountInChinese", layout.words(invoice)),
        ("Drawer", invoice.drawer),
        ("RequestTime", request_time(invoice)),
    )
    for item in invoice.items:
        _item(data, item)
    specific = _add(data, "SpecificInformation")
    if invoice.red_letter_of:
        _fields(_add(specific, "RedEInvoice"), ("OriginalInvoiceCode", invoice.red_letter_of.number))
    additional = _add(data, "AdditionalInformation")
    _fields(additional, ("Remark", invoice.remarks))
    return data


def _supervision(invoice: Invoice) -> ET.Element:
    supervision = ET.Element("TaxSupervisionInfo")
    _fields(
        supervision,
        ("InvoiceNumber", invoice.number),
        ("IssueTime", invoice.issue_date.isoformat()),
        ("TaxBureauCode", f"1{region(invoice)}00000000"),
        ("TaxBureauName", bureau_name(region(invoice))),
    )
    return supervision


__all__ = ["render_xml"]
