"""The OFD (GB/T 33190) package of an invoice, in the structure of real tax-bureau OFDs.

The ZIP holds, as real invoice OFDs do (docs/invoice-facts.md §8):

* ``OFD.xml`` — ``DocInfo/CustomDatas`` with 发票代码 (pre-数电 only), 发票号码, 开票日期
  (``2025年03月07日``), 合计金额 (excl. tax), 合计税额, 价税合计, 校验码 (where printed) and the
  buyer's and seller's 纳税人识别号;
* ``Doc_0/Document.xml``, ``PublicRes.xml`` (fonts, colours), ``DocumentRes.xml`` (the QR image);
* ``Doc_0/Tpls/Tpl_0/Content.xml`` — the template page: labels and rules;
* ``Doc_0/Pages/Page_0/Content.xml`` — a TextObject with its own ID for every printed value,
  an ImageObject for the QR code (a PNG in ``Doc_0/Res/``) and the ⊗ as a PathObject;
* for 数电票 (31, 32): ``Doc_0/Tags/CustomTags.xml`` → ``CustomTag.xml``, an ``ofd:root`` whose
  children (InvoiceNo, IssueDate, Buyer/BuyerName …, Item, TaxScheme, Amount …, Note) point at
  those TextObjects with ``<ofd:ObjectRef PageRef="…">ID</ofd:ObjectRef>``; amounts refer to the
  ``¥`` object and the number object.  Item tags come line by line, each line starting with
  ``Item``; a column (规格型号, 单位, 数量, 单价) blank on any line is left out on every line, so
  that the n-th tag of each column belongs to the n-th line;
* for older types: ``Doc_0/Attachs/original_invoice.xml``, the 2019 ``eInvoice`` (namespace
  ``fp``) of 2020-era e-普票, with the QR payload in ``GraphCode``.

There is no signature (``Doc_0/Signs``): these are not tax-bureau documents.  Entries carry the
issue date as their timestamp, so the same invoice always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from yanpiao.documents import layout
from yanpiao.documents.layout import MONO, PAGE_HEIGHT, PAGE_WIDTH, QR_SIZE, SANS, SONG, Page, Text
from yanpiao.documents.pdf import qr_png
from yanpiao.fapiao import types
from yanpiao.fapiao.formats import ofd as names
from yanpiao.fapiao.invoice import Invoice, Party

OFD_NS = "http://www.ofdspec.org/2016"
FP_NS = names.ORIGINAL_INVOICE_NAMESPACE
ET.register_namespace("ofd", OFD_NS)
ET.register_namespace("fp", FP_NS)

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
DOC = "Doc_0"

# Resource IDs; page objects are numbered after them.
TEMPLATE_ID, COLOR_SPACE_ID, LINE_PARAM_ID, INK_PARAM_ID = 1, 2, 3, 4
FONT_IDS = {"label": 5, SONG: 6, MONO: 7, SANS: 8}
FONT_NAMES = {
    5: ("楷体", "楷体"),
    6: ("宋体", "SimSun"),
    7: ("Courier New", "Courier New"),
    8: ("Arial", "Arial"),
}
PAGE_ID, QR_MEDIA_ID = 9, 10
FIRST_OBJECT_ID = 11

# CustomTag elements (the 2024+ 数电 structure) for each printed field, from the shared format table.
HEAD_TAGS = {path: elements for elements, path in names.tags()}
ITEM_TAGS = {names.LINE_FIELDS[element]: element for element in names.CUSTOM_TAG_LINE_ORDER}
ITEM_FIELD = re.compile(r"items\[(\d+)\]\.(\w+)")


def render_ofd(invoice: Invoice, qr_payload: str | None = None) -> bytes:
    """The invoice as an OFD package; ``qr_payload`` replaces the QR content (for tampered copies)."""
    page = layout.page_for(invoice, qr_payload)
    ids = _Ids.allocate(page)
    digital = types.is_digital(invoice.type)
    files = {
        "OFD.xml": _ofd_xml(invoice),
        f"{DOC}/Document.xml": _document_xml(digital, ids.max),
        f"{DOC}/PublicRes.xml": _public_res(page),
        f"{DOC}/DocumentRes.xml": _document_res(),
        f"{DOC}/Tpls/Tpl_0/Content.xml": _template(page, ids),
        f"{DOC}/Pages/Page_0/Content.xml": _page_content(page, ids),
        f"{DOC}/Res/image_{QR_MEDIA_ID}.png": qr_png(page.qr_payload),
    }
    if digital:
        files[f"{DOC}/Tags/CustomTags.xml"] = _custom_tags()
        files[f"{DOC}/Tags/CustomTag.xml"] = _custom_tag(page, ids)
    else:
        original = _original_invoice(invoice, page)
        files[f"{DOC}/Attachs/Attachments.xml"] = _attachments(invoice, len(original))
        files[f"{DOC}/Attachs/original_invoice.xml"] = original
    return _zip(files, invoice)


# --- XML helpers ----------------------------------------------------------------------------------


def _o(name: str) -> str:
    return f"{{{OFD_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _o(name), {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _xml(root: ET.Element, declaration: str = DECLARATION) -> bytes:
    """``<a/>`` as real OFDs write empty elements (``>`` is escaped inside attribute values)."""
    return (declaration + ET.tostring(root, encoding="unicode").replace(" />", "/>")).encode()


def _num(value: float) -> str:
    """A length in mm as OFD writes it: up to 4 decimals, no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _box(x: float, y: float, width: float, height: float) -> str:
    return " ".join(_num(v) for v in (x, y, width, height))


def _delta_x(advances: list[float]) -> str:
    """OFD DeltaX with the ``g count value`` shorthand for runs of equal advances."""
    parts: list[str] = []
    i = 0
    while i < len(advances):
        value = _num(advances[i])
        run = 1
        while i + run < len(advances) and _num(advances[i + run]) == value:
            run += 1
        parts.append(f"g {run} {value}" if run > 1 else value)
        i += run
    return " ".join(parts)


def _color(rgb: tuple[int, int, int]) -> str:
    return " ".join(str(c) for c in rgb)


# --- the package ------------------------------------------------------------------------------------


def _custom_datas(invoice: Invoice) -> list[tuple[str, str]]:
    """OFD.xml's CustomDatas: the names real OFDs write, where the invoice has the field."""
    data = [
        (name, layout.field_text(invoice, names.CUSTOM_DATAS[name])) for name in names.CUSTOM_DATAS_WRITTEN
    ]
    return [(name, value) for name, value in data if value]


def _ofd_xml(invoice: Invoice) -> bytes:
    root = ET.Element(_o("OFD"), {"DocType": "OFD", "Version": "1.0"})
    body = _sub(root, "DocBody")
    info = _sub(body, "DocInfo")
    _sub(info, "DocID", hashlib.md5(f"{invoice.type}|{invoice.key}".encode()).hexdigest())  # nosec B324  # MD5 only names the document (OFD DocID), no security use
    _sub(info, "Author", "Yanpiao")
    _sub(info, "CreationDate", invoice.issue_date.isoformat())
    _sub(info, "Creator", "Yanpiao")
    datas = _sub(info, "CustomDatas")
    for name, value in _custom_datas(invoice):
        _sub(datas, "CustomData", value, Name=name)
    _sub(body, "DocRoot", f"{DOC}/Document.xml")
    return _xml(root)


def _document_xml(digital: bool, max_unit_id: int) -> bytes:
    root = ET.Element(_o("Document"))
    common = _sub(root, "CommonData")
    _sub(common, "MaxUnitID", str(max_unit_id))
    _sub(common, "PageArea").append(_physical_box())
    _sub(common, "PublicRes", "PublicRes.xml")
    _sub(common, "DocumentRes", "DocumentRes.xml")
    _sub(common, "TemplatePage", ID=TEMPLATE_ID, BaseLoc="Tpls/Tpl_0/Content.xml")
    pages = _sub(root, "Pages")
    _sub(pages, "Page", ID=PAGE_ID, BaseLoc="Pages/Page_0/Content.xml")
    if digital:
        _sub(root, "CustomTags", "Tags/CustomTags.xml")
    else:
        _sub(root, "Attachments", "Attachs/Attachments.xml")
    return _xml(root)


def _physical_box() -> ET.Element:
    box = ET.Element(_o("PhysicalBox"))
    box.text = _box(0, 0, PAGE_WIDTH, PAGE_HEIGHT)
    return box


def _public_res(page: Page) -> bytes:
    root = ET.Element(_o("Res"))
    spaces = _sub(root, "ColorSpaces")
    _sub(spaces, "ColorSpace", ID=COLOR_SPACE_ID, Type="RGB")
    params = _sub(root, "DrawParams")
    line = _sub(params, "DrawParam", ID=LINE_PARAM_ID, LineWidth="0.25")
    _sub(line, "StrokeColor", Value=_color(page.ink), ColorSpace=COLOR_SPACE_ID)
    ink = _sub(params, "DrawParam", ID=INK_PARAM_ID, Relative=LINE_PARAM_ID)
    _sub(ink, "FillColor", Value=_color(page.ink), ColorSpace=COLOR_SPACE_ID)
    fonts = _sub(root, "Fonts")
    for font_id, (name, family) in FONT_NAMES.items():
        _sub(fonts, "Font", ID=font_id, FontName=name, FamilyName=family)
    return _xml(root)


def _document_res() -> bytes:
    root = ET.Element(_o("Res"), {"BaseLoc": "Res"})
    media = _sub(_sub(root, "MultiMedias"), "MultiMedia", ID=QR_MEDIA_ID, Type="Image", Format="PNG")
    _sub(media, "MediaFile", f"image_{QR_MEDIA_ID}.png")
    return _xml(root)


@dataclass
class _Ids:
    """The ID of every object: text runs by their position in ``page.texts``, then the rest."""

    texts: dict[int, int] = field(default_factory=dict)
    rules: list[int] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    image: int = 0
    page_layer: int = 0
    template_layer: int = 0
    max: int = 0

    @classmethod
    def allocate(cls, page: Page) -> _Ids:
        counter = itertools.count(FIRST_OBJECT_ID)
        ids = cls()
        for index, text in enumerate(page.texts):  # values first: CustomTag refers to them
            if not text.label:
                ids.texts[index] = next(counter)
        ids.image, ids.page_layer, ids.template_layer = next(counter), next(counter), next(counter)
        ids.marks = [next(counter) for _ in page.marks]
        ids.rules = [next(counter) for _ in page.rules]
        for index, text in enumerate(page.texts):
            if text.label:
                ids.texts[index] = next(counter)
        ids.max = next(counter) - 1
        return ids


def _text_object(parent: ET.Element, text: Text, object_id: int, font_id: int) -> None:
    element = _sub(
        parent,
        "TextObject",
        ID=object_id,
        Boundary=_box(text.x, text.y, max(text.width, 0.1), text.height),
        Font=font_id,
        Size=_num(text.size),
    )
    if not text.label and text.color != layout.BLACK:
        _sub(element, "FillColor", Value=_color(text.color))
    code = _sub(element, "TextCode", text.text, X="0", Y=_num(text.baseline))
    if len(text.text) > 1:
        code.set("DeltaX", _delta_x(text.advances()))


def _template(page: Page, ids: _Ids) -> bytes:
    root = ET.Element(_o("Page"))
    _sub(root, "Area").append(_physical_box())
    layer = _sub(_sub(root, "Content"), "Layer", ID=ids.template_layer, DrawParam=INK_PARAM_ID)
    for rule, object_id in zip(page.rules, ids.rules, strict=True):
        left, top = min(rule.x1, rule.x2), min(rule.y1, rule.y2)
        width, height = abs(rule.x2 - rule.x1), abs(rule.y2 - rule.y1)
        path = _sub(
            layer,
            "PathObject",
            ID=object_id,
            Boundary=_box(left, top, max(width, rule.width), max(height, rule.width)),
            LineWidth=_num(rule.width),
        )
        start, end = (
            f"{_num(rule.x1 - left)} {_num(rule.y1 - top)}",
            f"{_num(rule.x2 - left)} {_num(rule.y2 - top)}",
        )
        _sub(path, "AbbreviatedData", f"M {start} L {end}")
    for index, text in enumerate(page.texts):
        if text.label:
            _text_object(layer, text, ids.texts[index], FONT_IDS["label"])
    return _xml(root)


def _mark_path(size: float) -> str:
    """⊗ as OFD path data: a circle of four Bézier arcs and a diagonal cross."""
    r = size / 2
    k = r * 0.5523
    n = _num
    circle = (
        f"M {n(2 * r)} {n(r)} B {n(2 * r)} {n(r + k)} {n(r + k)} {n(2 * r)} {n(r)} {n(2 * r)} "
        f"B {n(r - k)} {n(2 * r)} 0 {n(r + k)} 0 {n(r)} "
        f"B 0 {n(r - k)} {n(r - k)} 0 {n(r)} 0 "
        f"B {n(r + k)} 0 {n(2 * r)} {n(r - k)} {n(2 * r)} {n(r)}"
    )
    a, b = n(r - r * 0.7071), n(r + r * 0.7071)
    return f"{circle} M {a} {a} L {b} {b} M {a} {b} L {b} {a}"


def _page_content(page: Page, ids: _Ids) -> bytes:
    root = ET.Element(_o("Page"))
    _sub(root, "Area").append(_physical_box())
    _sub(root, "Template", TemplateID=TEMPLATE_ID, ZOrder="Background")
    layer = _sub(_sub(root, "Content"), "Layer", ID=ids.page_layer)
    _sub(
        layer,
        "ImageObject",
        ID=ids.image,
        CTM=f"{_num(QR_SIZE)} 0 0 {_num(QR_SIZE)} 0 0",
        Boundary=_box(page.qr_x, page.qr_y, QR_SIZE, QR_SIZE),
        ResourceID=QR_MEDIA_ID,
    )
    for index, text in enumerate(page.texts):
        if not text.label:
            _text_object(layer, text, ids.texts[index], FONT_IDS[text.font])
    for mark, object_id in zip(page.marks, ids.marks, strict=True):
        path = _sub(
            layer,
            "PathObject",
            ID=object_id,
            Boundary=_box(mark.x, mark.y, mark.size, mark.size),
            LineWidth="0.225",
        )
        _sub(path, "StrokeColor", Value=_color(page.ink))
        _sub(path, "AbbreviatedData", _mark_path(mark.size))
    return _xml(root)


def _custom_tags() -> bytes:
    root = ET.Element(_o("CustomTags"))
    _sub(_sub(root, "CustomTag", TypeID="root"), "FileLoc", "CustomTag.xml")
    return _xml(root)


def _refs_by_field(page: Page, ids: _Ids) -> dict[str, list[int]]:
    refs: dict[str, list[int]] = {}
    for index, text in enumerate(page.texts):
        if text.field:
            refs.setdefault(text.field, []).append(ids.texts[index])
    return refs


def _custom_tag(page: Page, ids: _Ids) -> bytes:
    refs = _refs_by_field(page, ids)
    root = ET.Element(_o("root"), {"version": "1.0"})

    def tag(parent: ET.Element, name: str, object_ids: Iterable[int]) -> None:
        element = _sub(parent, name)
        for object_id in object_ids:
            _sub(element, "ObjectRef", str(object_id), PageRef=PAGE_ID)

    groups: dict[str, ET.Element] = {}
    for path, elements in HEAD_TAGS.items():
        if path not in refs or path == "remarks":
            continue
        parent = root
        if len(elements) == 2:
            parent = groups.get(elements[0])
            if parent is None:
                parent = groups[elements[0]] = _sub(root, elements[0])
        tag(parent, elements[-1], refs[path])
    lines = sorted({int(m.group(1)) for path in refs if (m := ITEM_FIELD.fullmatch(path))})
    # A column whose cell is blank on some line is left out on every line: readers zip the columns.
    columns = [name for name in ITEM_TAGS if all(f"items[{line}].{name}" in refs for line in lines)]
    for line in lines:
        for name in columns:
            tag(root, ITEM_TAGS[name], refs[f"items[{line}].{name}"])
    if "remarks" in refs:  # the 备注 after the lines, as real files have it
        tag(root, HEAD_TAGS["remarks"][-1], refs["remarks"])
    return _xml(root)


def _fp(parent: ET.Element, name: str, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, f"{{{FP_NS}}}{name}")
    element.text = text
    return element


def _original_invoice(invoice: Invoice, page: Page) -> bytes:
    """The 2019 ``eInvoice`` attachment of an e-普票 OFD, element for element as real ones.

    Fields come by the shared table's element names; the elements with no invoice field (DocID,
    TypeCode, the cipher, the QR payload, empty ones) are written here.
    """
    root = ET.Element(names.ORIGINAL_INVOICE_ROOT, {"Version": "1.0"})
    own = {
        "DocID": "03" if invoice.type in types.SPECIAL else "01",
        "TypeCode": "1" if invoice.is_red_letter else "0",
        "TaxControlCode": layout.cipher(invoice, page.qr_payload),
        names.QR_PAYLOAD: page.qr_payload,
    }
    for element in names.ORIGINAL_INVOICE_ORDER:
        if element in names.TOP:
            _fp(root, element, layout.field_text(invoice, names.TOP[element]))
        elif element in names.PARTIES:
            _party(root, element, getattr(invoice, names.PARTIES[element]))
        elif element == names.LINES:
            goods = _fp(root, names.LINES)
            for item in invoice.items:
                info = _fp(goods, names.LINE)
                for tag, name in names.LINE_FIELDS.items():
                    _fp(info, tag, layout.item_text(item, name))
        else:
            _fp(root, element, own.get(element, ""))
    return _xml(root, '<?xml version="1.0" encoding="utf-8"?>\n')


def _party(root: ET.Element, group: str, party: Party) -> None:
    element = _fp(root, group)
    for part, fields in names.PARTY_PARTS.items():
        text = " ".join(value for value in (getattr(party, name) for name in fields) if value)
        _fp(element, names.party_element(group, part), text)
    if group == "Seller":  # real files end the seller with two empty fields
        _fp(element, "Issuea1")
        _fp(element, "Issuea2")


def _attachments(invoice: Invoice, size: int) -> bytes:
    root = ET.Element(_o("Attachments"))
    attachment = _sub(
        root,
        "Attachment",
        Name="original_invoice",
        Format="xml",
        CreationDate=f"{invoice.issue_date.isoformat()}T00:00:00",
        Size=f"{size / 1024:.4f}",
        Visible="false",
    )
    _sub(attachment, "FileLoc", "original_invoice.xml")
    return _xml(root)


def _zip(files: dict[str, bytes], invoice: Invoice) -> bytes:
    stamp = (invoice.issue_date.year, invoice.issue_date.month, invoice.issue_date.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


__all__ = ["render_ofd"]
