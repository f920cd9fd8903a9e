"""Builders for the structured-document tests (imported by them): small OFD packages and 数电 XML.

They follow the structure of the real samples (shared/samples/real) with made-up parties, so
no real company's data enters the repository.
"""

from __future__ import annotations

import base64
import io
import zipfile
from xml.etree import ElementTree as ET

import segno

OFD_NS = "http://www.ofdspec.org/2016"
PAGE_ID = "61"

# A 数电专票 like ofdrw's 20240531141733.ofd, with invented parties.
DIGITAL = {
    "number": "24112000000048542163",
    "issue_date": "2024年05月28日",
    "buyer_name": "海南测试云服科技有限公司",
    "buyer_tax_id": "91460300MAA92DJN95",
    "seller_name": "北京示例科技有限公司",
    "seller_tax_id": "91110108690017781B",
    "amount": "4197.17",
    "tax": "251.83",
    "total": "4449.00",
    "words": "肆仟肆佰肆拾玖圆整",
    "drawer": "王芳",
    "item": ("*信息技术服务*技术服务", "费"),
    "rate": "6%",
    "line_amount": "4197.17",
    "line_tax": "251.83",
    "note": "收款人:李四;",
}
DIGITAL_QR = "01,31,,24112000000048542163,4449.00,20240528,,B2B6"

# A 2020-style 增值税电子普通发票 like ofdrw's 1.ofd, with invented parties.
ORIGINAL_INVOICE = """<?xml version="1.0" encoding="utf-8"?>
<eInvoice xmlns:fp="http://www.edrm.org.cn/schema/e-invoice/2019" Version="1.0">
<fp:InvoiceCode>033002000211</fp:InvoiceCode><fp:InvoiceNo>83089647</fp:InvoiceNo>
<fp:IssueDate>2020年07月23日</fp:IssueDate><fp:InvoiceCheckCode>16197833567414507415</fp:InvoiceCheckCode>
<fp:MachineNo>927000236092</fp:MachineNo>
<fp:Buyer><fp:BuyerName>江苏测试新材料有限公司</fp:BuyerName><fp:BuyerTaxID>91320115MA202UKD7X</fp:BuyerTaxID>
<fp:BuyerAddrTel></fp:BuyerAddrTel><fp:BuyerFinancialAccount></fp:BuyerFinancialAccount></fp:Buyer>
<fp:Seller><fp:SellerName>兰溪市示例餐厅</fp:SellerName><fp:SellerTaxID>92330781MA2EDMFU50</fp:SellerTaxID>
<fp:SellerAddrTel>兰溪市丹溪大道1055号057988222001</fp:SellerAddrTel>
<fp:SellerFinancialAccount>中国邮政储蓄银行兰溪分行6217993300118475000</fp:SellerFinancialAccount></fp:Seller>
<fp:TaxInclusiveTotalAmount>526.00</fp:TaxInclusiveTotalAmount><fp:Note>{note}</fp:Note>
<fp:InvoiceClerk>管理员</fp:InvoiceClerk><fp:Payee>收款员</fp:Payee><fp:Checker>复核员</fp:Checker>
<fp:TaxTotalAmount>15.32</fp:TaxTotalAmount><fp:TaxExclusiveTotalAmount>510.68</fp:TaxExclusiveTotalAmount>
<fp:GraphCode>01,10,033002000211,83089647,510.68,20200723,16197833567414507415,0941,</fp:GraphCode>
<fp:Signature>{signature}</fp:Signature>
<fp:GoodsInfos><fp:GoodsInfo><fp:Item>*餐饮服务*餐费</fp:Item><fp:Specification></fp:Specification>
<fp:MeasurementDimension></fp:MeasurementDimension><fp:Price>510.679612</fp:Price><fp:Quantity>1</fp:Quantity>
<fp:Amount>510.68</fp:Amount><fp:TaxScheme>3%</fp:TaxScheme><fp:TaxAmount>15.32</fp:TaxAmount>
</fp:GoodsInfo></fp:GoodsInfos></eInvoice>"""

# Its CustomTag as the real producer writes it: an empty prefix declaration and an unbound ofd: prefix.
ORIGINAL_CUSTOM_TAG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<:eInvoice xmlns:="">'
    '<InvoiceCode><ofd:ObjectRef PageRef="1">64</ofd:ObjectRef></InvoiceCode>'
    '<InvoiceNo><ofd:ObjectRef PageRef="1">70</ofd:ObjectRef></InvoiceNo>'
    "<TaxInclusiveTotalAmount>"
    '<ofd:ObjectRef PageRef="1">82</ofd:ObjectRef><ofd:ObjectRef PageRef="1">83</ofd:ObjectRef>'
    "</TaxInclusiveTotalAmount></:eInvoice>"
)


def qr_png(payload: str, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload, micro=False).save(buffer, kind="png", scale=scale)
    return buffer.getvalue()


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _ofd(tag: str, parent: ET.Element | None = None, text: str | None = None, **attrs: str) -> ET.Element:
    element = (
        ET.Element(f"{{{OFD_NS}}}{tag}", attrs)
        if parent is None
        else ET.SubElement(parent, f"{{{OFD_NS}}}{tag}", attrs)
    )
    if text is not None:
        element.text = text
    return element


def _ofd_xml(custom_datas: dict[str, str], signatures: bool) -> bytes:
    root = _ofd("OFD", DocType="OFD", Version="1.1")
    body = _ofd("DocBody", root)
    datas = _ofd("CustomDatas", _ofd("DocInfo", body))
    for name, value in custom_datas.items():
        _ofd("CustomData", datas, value, Name=name)
    _ofd("DocRoot", body, "Doc_0/Document.xml")
    if signatures:
        _ofd("Signatures", body, "Doc_0/Signs/Signatures.xml")
    return _xml(root)


def _document(page_id: str, tags: bool, attachments: bool) -> bytes:
    root = _ofd("Document")
    common = _ofd("CommonData", root)
    _ofd("PublicRes", common, "PublicRes.xml")
    _ofd("TemplatePage", common, ID="1", BaseLoc="Tpls/Tpl_0/Content.xml")
    _ofd("DocumentRes", common, "DocumentRes.xml")
    _ofd("Page", _ofd("Pages", root), ID=page_id, BaseLoc="Pages/Page_0/Content.xml")
    if tags:
        _ofd("CustomTags", root, "Tags/CustomTags.xml")
    if attachments:
        _ofd("Attachments", root, "Attachs/Attachments.xml")
    return _xml(root)


def _content(texts: list[tuple[str, str]], image: bool, template: bool = True) -> bytes:
    root = _ofd("Page")
    if template:
        _ofd("Template", root, TemplateID="1", ZOrder="Background")
    layer = _ofd("Layer", _ofd("Content", root), ID="9000")
    for object_id, text in texts:
        text_object = _ofd("TextObject", layer, ID=object_id, Boundary="0 0 10 5", Font="1", Size="3")
        _ofd("TextCode", text_object, text, X="0", Y="3")
    if image:
        _ofd("ImageObject", layer, ID="8999", CTM="20 0 0 20 0 0", Boundary="6.5 6 20 20", ResourceID="8000")
    return _xml(root)


def _resources(image_name: str) -> bytes:
    root = _ofd("Res", BaseLoc="Res")
    media = _ofd("MultiMedia", _ofd("MultiMedias", root), ID="8000", Type="Image", Format="PNG")
    _ofd("MediaFile", media, image_name)
    return _xml(root)


def _custom_tag(tags: list[tuple[str, list[str]]], page_id: str) -> bytes:
    root = _ofd("root", version="1.0")
    for path, ids in tags:
        parent = root
        for name in path.split("/"):
            parent = _ofd(name, parent)
        for object_id in ids:
            _ofd("ObjectRef", parent, object_id, PageRef=page_id)
    return _xml(root)


def build_digital_ofd(
    printed: dict[str, str] | None = None,
    custom_datas: dict[str, str] | None = None,
    qr: str | None = DIGITAL_QR,
    qr_image: bytes | None = None,
    title: str = "电子发票（增值税专用发票）",
    yen_only: bool = False,
    signed_value: bytes | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A 2024-style 数电 OFD: page text + CustomTag + CustomDatas + a PNG QR code.

    ``printed`` overrides what the page shows (a tampered document), ``custom_datas`` what
    OFD.xml says; ``yen_only`` points the amount tags only at the ``¥`` objects.
    """
    p = {**DIGITAL, **(printed or {})}
    texts = [
        ("101", p["number"]),
        ("102", p["issue_date"]),
        ("103", p["buyer_name"]),
        ("104", p["buyer_tax_id"]),
        ("105", p["seller_name"]),
        ("106", p["seller_tax_id"]),
        ("107", "¥"),
        ("108", p["amount"]),
        ("109", "¥"),
        ("110", p["tax"]),
        ("111", p["words"]),
        ("112", "¥"),
        ("113", p["total"]),
        ("114", p["drawer"]),
        ("115", p["item"][0]),
        ("116", p["item"][1]),
        ("117", p["rate"]),
        ("118", p["line_amount"]),
        ("119", p["line_tax"]),
        ("120", "    "),
        ("121", p["note"]),
    ]

    def money(yen: str, number: str) -> list[str]:
        return [yen] if yen_only else [yen, number]

    tags = [
        ("InvoiceNo", ["101"]),
        ("IssueDate", ["102"]),
        ("Buyer/BuyerName", ["103"]),
        ("Seller/SellerName", ["105"]),
        ("TaxExclusiveTotalAmount", money("107", "108")),
        ("TaxTotalAmount", money("109", "110")),
        ("TaxInclusiveTotalAmount", money("112", "113")),
        ("InvoiceClerk", ["114"]),
        ("Item", ["115", "116"]),
        ("TaxScheme", ["117"]),
        ("Amount", ["118"]),
        ("TaxAmount", ["119"]),
        ("Note", ["120", "121"]),
    ]
    datas = {
        "发票号码": DIGITAL["number"],
        "销售方纳税人识别号": DIGITAL["seller_tax_id"],
        "合计金额": DIGITAL["amount"],
        "购买方纳税人识别号": DIGITAL["buyer_tax_id"],
        "合计税额": DIGITAL["tax"],
        "开票日期": DIGITAL["issue_date"],
        **(custom_datas or {}),
    }
    image = qr_image if qr_image is not None else (qr_png(qr) if qr else None)
    entries = {
        "OFD.xml": _ofd_xml(datas, signatures=signed_value is not None),
        "Doc_0/Document.xml": _document(PAGE_ID, tags=True, attachments=False),
        "Doc_0/PublicRes.xml": _xml(_ofd("Res")),
        "Doc_0/DocumentRes.xml": _resources("image_8000.png"),
        "Doc_0/Tpls/Tpl_0/Content.xml": _content(
            [("3", title), ("7", "发票号码：")], image=False, template=False
        ),
        "Doc_0/Pages/Page_0/Content.xml": _content(texts, image=image is not None),
        "Doc_0/Tags/CustomTags.xml": _xml(_custom_tags()),
        "Doc_0/Tags/CustomTag.xml": _custom_tag(tags, PAGE_ID),
    }
    if image is not None:
        entries["Doc_0/Res/image_8000.png"] = image
    if signed_value is not None:
        entries.update(_signatures(signed_value))
    entries.update(extra or {})
    return zip_entries(entries)


def _custom_tags() -> ET.Element:
    root = _ofd("CustomTags")
    _ofd("FileLoc", _ofd("CustomTag", root, TypeID="root"), "CustomTag.xml")
    return root


def _signatures(signed_value: bytes) -> dict[str, bytes]:
    signatures = _ofd("Signatures")
    _ofd("MaxSignId", signatures, "1")
    _ofd("Signature", signatures, ID="1", BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml")
    signature = _ofd("Signature")
    info = _ofd("SignedInfo", signature)
    _ofd("Provider", info, ProviderName="example_eseal", Version="2.0", Company="EX")
    _ofd("SignedValue", signature, "/Doc_0/Signs/Sign_0/SignedValue.dat")
    return {
        "Doc_0/Signs/Signatures.xml": _xml(signatures),
        "Doc_0/Signs/Sign_0/Signature.xml": _xml(signature),
        "Doc_0/Signs/Sign_0/SignedValue.dat": signed_value,
    }


def build_original_ofd(
    printed_total: str = "526.00",
    note: str = "",
    original_signature: bytes = b"\x30\x03\x02\x01\x01",
    qr_image: bytes = b"\x97JB2\r\n\x1a\n\x01",  # a JBIG2 QR, which cannot be decoded
    signed_value: bytes | None = None,
) -> bytes:
    """A 2020-style e-普票: original_invoice.xml + the producer's malformed CustomTag + a JBIG2 QR."""
    texts = [
        ("62", "浙江增值税电子普通发票"),
        ("64", "033002000211"),
        ("70", "83089647"),
        ("81", "伍佰贰拾陆圆整"),
        ("82", "¥"),
        ("83", printed_total),
    ]
    invoice = ORIGINAL_INVOICE.format(note=note, signature=base64.b64encode(original_signature).decode())
    entries = {
        "OFD.xml": _ofd_xml(
            {
                "发票代码": "033002000211",
                "发票号码": "83089647",
                "开票日期": "2020年07月23日",
                "校验码": "16197 83356 74145 07415",
                "合计金额": "510.68",
            },
            signatures=signed_value is not None,
        ),
        "Doc_0/Document.xml": _document("1", tags=True, attachments=True),
        "Doc_0/PublicRes.xml": _xml(_ofd("Res")),
        "Doc_0/DocumentRes.xml": _resources("image_8000.jb2"),
        "Doc_0/Tpls/Tpl_0/Content.xml": _content([("28", "机器编号：")], image=False, template=False),
        "Doc_0/Pages/Page_0/Content.xml": _content(texts, image=True),
        "Doc_0/Res/image_8000.jb2": qr_image,
        "Doc_0/Tags/CustomTags.xml": _xml(_custom_tags()),
        "Doc_0/Tags/CustomTag.xml": ORIGINAL_CUSTOM_TAG.encode(),
        "Doc_0/Attachs/Attachments.xml": _xml(_ofd("Attachments")),
        "Doc_0/Attachs/original_invoice.xml": invoice.encode(),
    }
    if signed_value is not None:
        entries.update(_signatures(signed_value))
    return zip_entries(entries)


def zip_entries(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- 数电 XML ---------------------------------------------------------------------------------

ITEMS = [
    {
        "ItemName": "*生产生活服务*技术服务费",
        "MeaUnits": "项",
        "Quantity": "1",
        "UnPrice": "9433.96226415094",
        "Amount": "9433.96",
        "TaxRate": "0.060000",
        "ComTaxAm": "566.04",
        "TotaltaxIncludedAmount": "10000.00",
        "TaxClassificationCode": "3040203000000000000",
    },
    {
        "ItemName": "*电子计算机*路由器",
        "SpecMod": "TL-R479G+",
        "MeaUnits": "台",
        "Quantity": "2",
        "UnPrice": "296.46",
        "Amount": "592.92",
        "TaxRate": "0.13",
        "ComTaxAm": "77.08",
        "TotaltaxIncludedAmount": "670.00",
        "TaxClassificationCode": "1090509010000000000",
    },
]


def build_einvoice_xml(
    label: tuple[str, str] = ("01", "增值税专用发票"),
    number: str = "26322000004478296111",
    basic: dict[str, str] | None = None,
    items: list[dict[str, str]] | None = None,
    remark: str | None = None,
    specific: ET.Element | None = None,
    signature_hex: str = "3082017a060a2a811ccf55",
) -> bytes:
    """A 数电 XML with the real sample's structure (element order included), made-up parties."""
    root = ET.Element("EInvoice")
    header = ET.SubElement(root, "Header")
    ET.SubElement(header, "EIid").text = number
    ET.SubElement(header, "EInvoiceTag").text = "SWEI3200"
    ET.SubElement(header, "Version").text = "0.37"
    labels = ET.SubElement(header, "InherentLabel")
    for tag, (code, name) in (("EInvoiceType", ("01", "电子发票")), ("GeneralOrSpecialVAT", label)):
        element = ET.SubElement(labels, tag)
        ET.SubElement(element, "LabelCode").text = code
        ET.SubElement(element, "LabelName").text = name
    data = ET.SubElement(root, "EInvoiceData")
    for role, values in (
        (
            "Seller",
            (
                "91320106751253359F",
                "南京示例科技股份有限公司",
                "南京市江北新区示例路88号",
                "13500000000",
                "中国工商银行南京市城东支行",
                "4301012019100491861",
            ),
        ),
        (
            "Buyer",
            (
                "9132020013590404XW",
                "无锡示例农产品集团有限公司",
                "无锡市示例路124号",
                "0510-82363025",
                "江苏银行天惠支行",
                "23340188000001222",
            ),
        ),
    ):
        party = ET.SubElement(data, f"{role}Information")
        for suffix, value in zip(
            ("IdNum", "Name", "Addr", "TelNum", "BankName", "BankAccNum"), values, strict=True
        ):
            ET.SubElement(party, role + suffix).text = value
    information = ET.SubElement(data, "BasicInformation")
    totals = {
        "TotalAmWithoutTax": "10026.88",
        "TotalTaxAm": "643.12",
        "TotalTax-includedAmount": "10670.00",
        "TotalTax-includedAmountInChinese": "壹万零陆佰柒拾圆整",
        "Drawer": "方雨",
        "RequestTime": "2026-06-04 09:38:46",
        **(basic or {}),
    }
    for tag, value in totals.items():
        ET.SubElement(information, tag).text = value
    for item in ITEMS if items is None else items:
        line = ET.SubElement(data, "IssuItemInformation")
        for tag, value in item.items():
            ET.SubElement(line, tag).text = value
    data.append(specific if specific is not None else ET.Element("SpecificInformation"))
    additional = ET.SubElement(data, "AdditionalInformation")
    if remark is not None:
        ET.SubElement(additional, "Remark").text = remark
    ET.SubElement(ET.SubElement(root, "SellerAuthentication"), "AuthenticationMethods").text = "01"
    supervision = ET.SubElement(root, "TaxSupervisionInfo")
    for tag, value in (
        ("InvoiceNumber", number),
        ("IssueTime", "2026-06-04"),
        ("TaxBureauCode", "13200000000"),
    ):
        ET.SubElement(supervision, tag).text = value
    signature = ET.SubElement(root, "TaxBureauSignature")
    ET.SubElement(signature, "SignatureValue").text = signature_hex + "&MjAyNjA2MDQ="
    return b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


# --- XBRL electronic vouchers (财政部 电子凭证会计数据标准) ---------------------------------------

XBRL_NS = "http://www.xbrl.org/2003/instance"
# Facts of a 增值税电子普通发票 voucher (inv_ord_issuer_…), invented parties; text in CDATA as real ones.
XBRL_ORDINARY = {
    "TypeOfInvoice": "增值税电子普通发票",
    "CodeOfInvoice": "033002000211",
    "NumberOfInvoice": "83089648",
    "DateOfIssue": "2021-08-12",
    "IdentifyingCode": "16197833567414507416",
    "NumberOfInvoiceMachine": "927000236092",
    "NameOfPurchaser": "江苏示例新材料有限公司",
    "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfPurchaser": "91320115MA202UKD7X",
    "NameOfSeller": "兰溪市示例餐厅",
    "TaxpayerIdentificationNumberUnifiedSocialCreditCodeOfSeller": "92330781MA2EDMFU50",
    "AddressPhoneNumberOfSeller": "兰溪市丹溪大道1055号 057988222001",
    "TotalAmountExcludingTax": "510.68",
    "TotalTaxAmount": "15.32",
    "TaxIncludedAmountInFigures": "526.00",
    "TaxIncludedAmountInWords": "伍佰贰拾陆圆整",
    "Issuer": "管理员",
}
XBRL_ORDINARY_LINE = {
    "NameOfTaxableGoodsOrServices": "*餐饮服务*餐费",
    "QuantityOfGoodsOrServices": "1",
    "UnitPriceOfGoodsOrServices": "510.679612",
    "AmountExcludingTax": "510.68",
    "TaxRate": "0.03",
    "TaxAmount": "15.32",
}
# A 电子发票（铁路电子客票） voucher (rai_issuer_…): the ticket number, travel date and departure time
# are the trip's, not the invoice's.
XBRL_RAILWAY = {
    "TypeOfVoucher": "电子发票（铁路电子客票）",
    "ElectronicInvoiceRailwayETicketNumber": "24119100000012345678",
    "ETicketNumber": "E012345678901234567890",
    "DateOfIssue": "2024-07-02",
    "TravelDate": "2024-07-05",
    "DepartureTime": "08:15",
    "DepartureStation": "北京南",
    "DestinationStation": "上海虹桥",
    "TrainNumber": "G1",
    "Fare": "553.00",
    "TotalAmountExcludingTax": "507.34",
    "TaxRate": "0.09",
    "TaxAmount": "45.66",
    "Name": "张*",
    "NameOfPurchaser": "北京示例科技有限公司",
    "UnifiedSocialCreditCodeOfPurchaser": "91110108690017781B",
}


def xbrl_instance(facts: dict[str, str], lines: list[dict[str, str]] = (), prefix: str = "inv") -> bytes:
    """An XBRL instance: one context, one CNY unit, facts in a taxonomy namespace, text in CDATA."""
    taxonomy = f"http://xbrl.mof.gov.cn/taxonomy/2021-09-30/{prefix}"

    def fact(name: str, value: str) -> str:
        return f'<{prefix}:{name} contextRef="c1"><![CDATA[{value}]]></{prefix}:{name}>'

    body = "".join(fact(name, value) for name, value in facts.items())
    for line in lines:
        inner = "".join(fact(name, value) for name, value in line.items())
        body += f"<{prefix}:InformationOfTaxableGoodsOrServicesDetailItemsTuple>{inner}"
        body += f"</{prefix}:InformationOfTaxableGoodsOrServicesDetailItemsTuple>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<xbrli:xbrl xmlns:xbrli="{XBRL_NS}" '
        f'xmlns:{prefix}="{taxonomy}" xmlns:iso4217="http://www.xbrl.org/2003/iso4217">'
        '<xbrli:context id="c1"><xbrli:entity><xbrli:identifier scheme="http://www.mof.gov.cn">'
        "92330781MA2EDMFU50</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2021-08-12"
        '</xbrli:instant></xbrli:period></xbrli:context><xbrli:unit id="CNY"><xbrli:measure>iso4217:CNY'
        f"</xbrli:measure></xbrli:unit>{body}</xbrli:xbrl>"
    ).encode()


def build_xbrl_ofd(instance: bytes, name: str, attachment_format: str = "xbrl", page_texts=()) -> bytes:
    """An OFD whose only invoice data is an XBRL attachment (the page holds a list or a picture)."""
    attachments = _ofd("Attachments")
    attachment = _ofd("Attachment", attachments, ID="1", Name=name, Format=attachment_format, Visible="false")
    _ofd("FileLoc", attachment, name)
    return zip_entries(
        {
            "OFD.xml": _ofd_xml({}, signatures=False),
            "Doc_0/Document.xml": _document("1", tags=False, attachments=True),
            "Doc_0/PublicRes.xml": _xml(_ofd("Res")),
            "Doc_0/Tpls/Tpl_0/Content.xml": _content([], image=False, template=False),
            "Doc_0/Pages/Page_0/Content.xml": _content(list(page_texts), image=False),
            "Doc_0/Attachs/Attachments.xml": _xml(attachments),
            f"Doc_0/Attachs/{name}": instance,
        }
    )


def build_page_text_ofd(
    amount: str = "4197.17", total: str = "4449.00", custom_datas: dict | None = None
) -> bytes:
    """A 数电 OFD with neither CustomTag nor attachment: the key in CustomDatas, amounts only printed.

    TextObjects carry boundaries in mm like the real 2024 layout (labels in the template).
    """
    labels = [
        ("1", "电子发票（增值税专用发票）", "72 8 58 8"),
        ("2", "发票号码：", "154 11 16 4"),
        ("3", "开票日期：", "154 17 16 4"),
        ("4", "项目名称", "15 52.8 14 4"),
        ("5", "金额", "137 52.8 7 4"),
        ("6", "税率/征收率", "158 52.8 17 4"),
        ("7", "税额", "188 52.8 7 4"),
        ("8", "合", "22 91 4 4"),
        ("9", "计", "36 91 4 4"),
        ("10", "价税合计（大写）", "15 98.4 26 4"),
        ("11", "（小写）", "150 98.4 13 4"),
    ]
    values = [
        ("101", DIGITAL["number"], "170 11 35 4"),
        ("102", DIGITAL["issue_date"], "170 17 30 4"),
        ("103", "*信息技术服务*技术服务费", "5 56.1 38 4"),
        ("104", amount, "138 56.1 14 4"),
        ("105", "6%", "163 56.1 6 4"),
        ("106", "251.83", "190 56.1 12 4"),
        ("107", "¥", "132 91 3 4"),
        ("108", amount, "136 91 16 4"),
        ("109", "¥", "186 91 3 4"),
        ("110", "251.83", "190 91 14 4"),
        ("111", "肆仟肆佰肆拾玖圆整", "63 98.2 40 4"),
        ("112", "¥", "186 97.9 3 5"),
        ("113", total, "190 97.9 14 5"),
    ]

    def content(texts, template: bool) -> bytes:
        root = _ofd("Page")
        if template:
            _ofd("Template", root, TemplateID="1", ZOrder="Background")
        layer = _ofd("Layer", _ofd("Content", root), ID="9000")
        for object_id, text, boundary in texts:
            text_object = _ofd("TextObject", layer, ID=object_id, Boundary=boundary, Font="1", Size="3.175")
            _ofd("TextCode", text_object, text, X="0", Y="3")
        return _xml(root)

    datas = {"发票号码": DIGITAL["number"], "开票日期": DIGITAL["issue_date"], **(custom_datas or {})}
    return zip_entries(
        {
            "OFD.xml": _ofd_xml(datas, signatures=False),
            "Doc_0/Document.xml": _document(PAGE_ID, tags=False, attachments=False),
            "Doc_0/PublicRes.xml": _xml(_ofd("Res")),
            "Doc_0/Tpls/Tpl_0/Content.xml": content(labels, template=False),
            "Doc_0/Pages/Page_0/Content.xml": content(values, template=True),
        }
    )
