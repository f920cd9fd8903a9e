"""The 数电 XML (``EInvoice``, no namespace) element names ↔ invoice-JSON paths (docs/invoice-facts.md §8).

Every field is named by its full path from the root, never searched for by name: a toll invoice
has a ``PlateNumber`` before its ``InvoiceNumber``.  Party elements are the role's prefix plus a
suffix (``SellerIdNum``, ``BuyerBankAccNum``); real files list the buyer's telephone before its
address, which :data:`PARTY_ORDER` keeps for the writer.

>>> party_element("seller", "IdNum"), BASIC_FIELDS["TotalTax-includedAmount"], TYPE_LABELS["01"]
('SellerIdNum', 'total', '31')
"""

from __future__ import annotations

from yanpiao.fapiao import types

ROOT = "EInvoice"
HEADER = "Header"
HEADER_NUMBER = "Header/EIid"
HEADER_TAG = "Header/EInvoiceTag"  # SWEI + province digits + 00
LABELS = "Header/InherentLabel"
TYPE_LABEL = "GeneralOrSpecialVAT"  # LabelCode / LabelName: 增值税专用发票 or 普通发票
KIND_LABEL = "EInvoiceType"
# LabelCode 01 is 增值税专用发票 in the real sample; 02 for 普通发票 is UNCONFIRMED.
TYPE_LABELS: dict[str, str] = {"01": types.DIGITAL_SPECIAL, "02": types.DIGITAL_ORDINARY}
LABEL_NAMES: dict[str, str] = {types.DIGITAL_SPECIAL: "增值税专用发票", types.DIGITAL_ORDINARY: "普通发票"}

DATA = "EInvoiceData"
PARTIES: dict[str, str] = {"seller": "SellerInformation", "buyer": "BuyerInformation"}
PARTY_FIELDS: dict[str, str] = {
    "IdNum": "tax_id",
    "Name": "name",
    "Addr": "address",
    "TelNum": "phone",
    "BankName": "bank",
    "BankAccNum": "account",
}
PARTY_ORDER: dict[str, tuple[str, ...]] = {
    "seller": ("IdNum", "Name", "Addr", "TelNum", "BankName", "BankAccNum"),
    "buyer": ("IdNum", "Name", "TelNum", "Addr", "BankName", "BankAccNum"),
}

BASIC = "EInvoiceData/BasicInformation"
BASIC_FIELDS: dict[str, str] = {
    "TotalAmWithoutTax": "amount",
    "TotalTaxAm": "tax",
    "TotalTax-includedAmount": "total",
    "TotalTax-includedAmountInChinese": "total_in_words",
    "Drawer": "drawer",
}
REQUEST_TIME = "RequestTime"  # in BasicInformation: the issue date when TaxSupervisionInfo has none

LINE = "EInvoiceData/IssuItemInformation"
LINE_FIELDS: dict[str, str] = {
    "ItemName": "name",
    "SpecMod": "spec",
    "MeaUnits": "unit",
    "Quantity": "quantity",
    "UnPrice": "unit_price",
    "Amount": "amount",
    "TaxRate": "tax_rate",
    "ComTaxAm": "tax",
    "TaxClassificationCode": "tax_category_code",
}
LINE_TOTAL = "TotaltaxIncludedAmount"  # a line's amount + tax: no field of its own, written after ComTaxAm

SPECIFIC = "EInvoiceData/SpecificInformation"
RED_LETTER = "EInvoiceData/SpecificInformation/RedEInvoice"
# Element names of the reversed invoice (from a public note: UNCONFIRMED).
RED_LETTER_CODE, RED_LETTER_NUMBER = "OriginalInvoiceCode", "OriginalInvoiceNumber"
REMARK = "EInvoiceData/AdditionalInformation/Remark"

SUPERVISION = "TaxSupervisionInfo"
SUPERVISION_FIELDS: dict[str, str] = {"InvoiceNumber": "number", "IssueTime": "issue_date"}
TAX_BUREAU_CODE, TAX_BUREAU_NAME = "TaxBureauCode", "TaxBureauName"
SIGNATURE_VALUE = "TaxBureauSignature/SignatureValue"


def party_element(role: str, suffix: str) -> str:
    """``SellerIdNum``: the element of a party field inside SellerInformation / BuyerInformation."""
    return PARTIES[role].removesuffix("Information") + suffix


__all__ = [
    "BASIC",
    "BASIC_FIELDS",
    "DATA",
    "HEADER",
    "HEADER_NUMBER",
    "HEADER_TAG",
    "KIND_LABEL",
    "LABELS",
    "LABEL_NAMES",
    "LINE",
    "LINE_FIELDS",
    "LINE_TOTAL",
    "PARTIES",
    "PARTY_FIELDS",
    "PARTY_ORDER",
    "RED_LETTER",
    "RED_LETTER_CODE",
    "RED_LETTER_NUMBER",
    "REMARK",
    "REQUEST_TIME",
    "ROOT",
    "SIGNATURE_VALUE",
    "SPECIFIC",
    "SUPERVISION",
    "SUPERVISION_FIELDS",
    "TAX_BUREAU_CODE",
    "TAX_BUREAU_NAME",
    "TYPE_LABEL",
    "TYPE_LABELS",
    "party_element",
]
