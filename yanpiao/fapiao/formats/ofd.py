"""OFD invoice names ↔ invoice-JSON paths (docs/invoice-facts.md §8): the four places of invoice data.

1. ``Doc_0/Attachs/original_invoice.xml`` (the 2019 ``eInvoice`` of e-普票) and the 2024 数电
   ``CustomTag.xml`` share their element names: :data:`TOP`, the parties (``Buyer/BuyerName`` …:
   :data:`PARTIES` × :data:`PARTY_PARTS`) and the lines (:data:`LINE_FIELDS`; in original_invoice.xml
   under ``GoodsInfos/GoodsInfo``, in CustomTag.xml flat, column by column).
2. ``DocInfo/CustomDatas`` in ``OFD.xml``: :data:`CUSTOM_DATAS`, by their Chinese names.
3. XBRL attachments of the 财政部 electronic-voucher standard: :data:`XBRL_ORDINARY` (增值税电子普通发票,
   ``inv_ord_issuer_…``) and :data:`XBRL_RAILWAY` (电子发票（铁路电子客票）, ``rai_issuer_…``).

A party part printed as one text (地址电话, 开户行及账号) maps to two paths, split by the reader.

>>> TOP["InvoiceNo"], party_element("Buyer", "TaxID"), CUSTOM_DATAS["合计金额"]
('number', 'BuyerTaxID', 'amount')
>>> paths = {path for name, path in tags()}
>>> {"number", "buyer.name", "seller.tax_id", "total"} <= paths
True
"""

from __future__ import annotations

from collections.abc import Iterator

ORIGINAL_INVOICE_NAMESPACE = "http://www.edrm.org.cn/schema/e-invoice/2019"
ORIGINAL_INVOICE_ROOT = "eInvoice"
QR_PAYLOAD = "GraphCode"  # original_invoice.xml: the QR code's payload as text

TOP: dict[str, str] = {
    "InvoiceCode": "code",
    "InvoiceNo": "number",
    "IssueDate": "issue_date",
    "InvoiceCheckCode": "check_code",
    "MachineNo": "machine_no",
    "TaxExclusiveTotalAmount": "amount",
    "TaxTotalAmount": "tax",
    "TaxInclusiveTotalAmount": "total",
    "InvoiceClerk": "drawer",
    "Payee": "payee",
    "Checker": "reviewer",
    "Note": "remarks",
}
PARTIES: dict[str, str] = {"Buyer": "buyer", "Seller": "seller"}
PARTY_PARTS: dict[str, tuple[str, ...]] = {
    "Name": ("name",),
    "TaxID": ("tax_id",),
    "AddrTel": ("address", "phone"),
    "FinancialAccount": ("bank", "account"),
}
LINES, LINE = "GoodsInfos", "GoodsInfo"
LINE_FIELDS: dict[str, str] = {
    "Item": "name",
    "Specification": "spec",
    "MeasurementDimension": "unit",
    "Price": "unit_price",
    "Quantity": "quantity",
    "Amount": "amount",
    "TaxScheme": "tax_rate",
    "TaxAmount": "tax",
}
# CustomTag.xml lists the lines flat, column by column, in this order in real files.
CUSTOM_TAG_LINE_ORDER = (
    "Item",
    "Specification",
    "MeasurementDimension",
    "TaxScheme",
    "Amount",
    "TaxAmount",
    "Price",
    "Quantity",
)
# original_invoice.xml element by element, in the order real files have them.
ORIGINAL_INVOICE_ORDER = (
    "DocID",
    "InvoiceCode",
    "InvoiceNo",
    "TypeCode",
    "IssueDate",
    "InvoiceCheckCode",
    "MachineNo",
    "TaxControlCode",
    "Buyer",
    "Tpvn",
    "Seller",
    "TaxInclusiveTotalAmount",
    "Note",
    "InvoiceClerk",
    "Payee",
    "Checker",
    "TaxTotalAmount",
    "TaxExclusiveTotalAmount",
    QR_PAYLOAD,
    "InvoiceSIA1",
    "InvoiceSIA2",
    "Signature",
    LINES,
)
# Amounts in CustomDatas are 合计金额 = excl. tax.
CUSTOM_DATAS: dict[str, str] = {
    "发票代码": "code",
    "发票号码": "number",
    "开票日期": "issue_date",
    "合计金额": "amount",
    "合计税额": "tax",
    "价税合计": "total",
    "校验码": "check_code",
    "购买方名称": "buyer.name",
    "购买方纳税人识别号": "buyer.tax_id",
    "销售方名称": "seller.name",
    "销售方纳税人识别号": "seller.tax_id",
}
# What real tax-bureau OFDs write there (readers also meet the parties' names).
CUSTOM_DATAS_WRITTEN = tuple(name for name in CUSTOM_DATAS if not name.endswith("名称"))

# --- XBRL attachments (财政部 电子凭证会计数据标准) ----------------------------------------------

XBRL_NAMESPACE = "http://www.xbrl.org/2003/instance"
XBRL_ROOT = "xbrl"
XBRL_FORMATS = ("xbrl", "xml")  # Attachment Format values that may hold an XBRL instance


def _xbrl_party(suffix: str, role: str, tax_id_fact: str) -> dict[str, tuple[str, ...]]:
    return {
        f"NameOf{suffix}": (f"{role}.name",),
        tax_id_fact: (f"{role}.tax_id",),
        f"AddressPhoneNumberOf{suffix}": (f"{role}.address", f"{role}.phone"),
        f"DepositBankAndAccountNumberOf{suffix}": (f"{role}.bank", f"{role}.account"),
    }


# 增值税电子普通发票 (taxonomy …/2021-09-30/inv, files inv_ord_issuer_…): fact → path(s).
XBRL_ORDINARY: dict[str, tuple[str, ...]] = {
    "CodeOfInvoice": ("code",),
    "NumberOfInvoice": ("number",),
    "DateOfIssue": ("issue_date",),
    "IdentifyingCode": ("check_code",),
    "NumberOfInvoiceMachine": ("machine_no",),
    **_xbrl_party("Purchaser", "buyer", "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfPurchaser"),
    **_xbrl_party("Seller", "seller", "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfSeller"),
    "TotalAmountExcludingTax": ("amount",),
    "TotalTaxAmount": ("tax",),
    "TaxIncludedAmountInFigures": ("total",),
    "TaxIncludedAmountInWords": ("total_in_words",),
    "Issuer": ("drawer",),
    "Payee": ("payee",),
    "Reviewer": ("reviewer",),
    "Remarks": ("remarks",),
}
XBRL_ORDINARY_LINE = "InformationOfTaxableGoodsOrServicesDetailItemsTuple"
XBRL_ORDINARY_LINE_FIELDS: dict[str, str] = {
    "NameOfTaxableGoodsOrServices": "name",
    "Specification": "spec",
    "UnitOfGoodsOrServices": "unit",
    "QuantityOfGoodsOrServices": "quantity",
    "UnitPriceOfGoodsOrServices": "unit_price",
    "AmountExcludingTax": "amount",
    "TaxRate": "tax_rate",
    "TaxAmount": "tax",
}
# 电子发票（铁路电子客票） (taxonomy …/2021-11-30/rai, files rai_issuer_…).  ETicketNumber is the
# ticket's own number and TravelDate / DepartureTime the trip: neither is the invoice's.
XBRL_RAILWAY: dict[str, tuple[str, ...]] = {
    "ElectronicInvoiceRailwayETicketNumber": ("number",),
    "DateOfIssue": ("issue_date",),
    "Fare": ("total",),
    "TotalAmountExcludingTax": ("amount",),
    "TaxAmount": ("tax",),
    "NameOfPurchaser": ("buyer.name",),
    "UnifiedSocialCreditCodeOfPurchaser": ("buyer.tax_id",),
}
XBRL_RAILWAY_MARK = "ElectronicInvoiceRailwayETicketNumber"  # the fact only a railway e-ticket has


def party_element(group: str, part: str) -> str:
    """``BuyerTaxID``: a party part's element name inside ``Buyer`` / ``Seller``."""
    return group + part


def tags() -> Iterator[tuple[tuple[str, ...], str]]:
    """(element path, invoice-JSON path) of every single-valued CustomTag field: top fields and
    party parts that hold one field (``("Buyer", "BuyerName")``), in the order of real CustomTag
    files: key fields, parties, amounts, people, remarks."""
    for element, path in TOP.items():
        if element == "TaxExclusiveTotalAmount":
            for group, role in PARTIES.items():
                for part, fields in PARTY_PARTS.items():
                    if len(fields) == 1:
                        yield (group, party_element(group, part)), f"{role}.{fields[0]}"
        yield (element,), path


__all__ = [
    "CUSTOM_DATAS",
    "CUSTOM_DATAS_WRITTEN",
    "CUSTOM_TAG_LINE_ORDER",
    "LINE",
    "LINES",
    "LINE_FIELDS",
    "ORIGINAL_INVOICE_NAMESPACE",
    "ORIGINAL_INVOICE_ORDER",
    "ORIGINAL_INVOICE_ROOT",
    "PARTIES",
    "PARTY_PARTS",
    "QR_PAYLOAD",
    "TOP",
    "XBRL_FORMATS",
    "XBRL_NAMESPACE",
    "XBRL_ORDINARY",
    "XBRL_ORDINARY_LINE",
    "XBRL_ORDINARY_LINE_FIELDS",
    "XBRL_RAILWAY",
    "XBRL_RAILWAY_MARK",
    "XBRL_ROOT",
    "party_element",
    "tags",
]
