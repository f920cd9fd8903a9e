"""OFD invoices (GB/T 33190): a ZIP package whose invoice data sits in several places.

``OFD.xml`` names the document (``DocBody/DocRoot``, usually ``Doc_0/Document.xml``), which
lists its pages, templates, resources, attachments and tags.  The places read, in priority
order (a value from an earlier place wins; a later place that disagrees on a key field or a
party adds the warning ``consistency.ofd_data``):

1. ``Doc_0/Attachs/original_invoice.xml`` (2020-style e-普票 and e-专票): the issuer's data,
   source ``xml``.  Namespaces vary, so elements are matched by local name.
2. ``Doc_0/Tags/CustomTags.xml`` → ``CustomTag.xml``: each field holds ``ObjectRef`` IDs of the
   TextObjects printed on a page (or its template), resolved to that text, source ``text``.
   An amount may point only at the ``¥`` object: the next text object is the number.  Some
   producers write ``<:eInvoice xmlns:="">`` with an undeclared ``ofd:`` prefix; such parts are
   read without namespace processing.
3. ``DocInfo/CustomDatas`` in ``OFD.xml`` (发票号码, 开票日期 ``2025年03月07日``, 合计金额 = excl.
   tax, 合计税额, 价税合计, 校验码, the parties' tax IDs), source ``xml``.
4. XBRL attachments (``Attachs/*.xbrl``, railway and air e-tickets) are skipped: none of the
   real samples has one, and Yanpiao registers neither type.
5. The QR code: a PNG or JPEG ImageObject on the page, decoded with zxing-cpp, fills
   ``candidate.qr``; a field where it disagrees with the data above gets the warning
   ``consistency.qr_text``.  JBIG2 images cannot be decoded: the attached XML's ``GraphCode``
   (the same payload) stands in for them.

The type comes from the QR code, else from the printed title (电子发票（增值税专用发票）→31,
电子发票（普通发票）→32, 增值税电子专用发票→20, 增值税电子普通发票→10), else from the code.
A package signed by the tax bureau's test environment (税务测试 CA, found in the signature
files and in the attached XML's signature) gets the error finding ``document.test_environment``.

>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as package:
...     package.writestr("OFD.xml", '<OFD><DocBody><DocInfo><CustomDatas>'
...         '<CustomData Name="发票号码">24112000000048542163</CustomData>'
...         '<CustomData Name="开票日期">2024年05月28日</CustomData>'
...         '<CustomData Name="合计金额">4197.17</CustomData></CustomDatas></DocInfo></DocBody></OFD>')
>>> c = read(buffer.getvalue()).candidates[0]
>>> c.fields["number"], c.fields["issue_date"], c.fields["amount"], c.sources["issue_date"]
('24112000000048542163', '2024-05-28', '4197.17', 'xml')
"""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import zxingcpp
from PIL import Image

from yanpiao.fapiao import qr, types
from yanpiao.fapiao.code import infer_type
from yanpiao.fapiao.findings import WARNING, Finding
from yanpiao.intake import qr_text, safe, specimen
from yanpiao.intake.candidate import QR, TEXT, XML, Candidate, Extraction
from yanpiao.intake.einvoice_xml import (
    compact,
    content_findings,
    find_test_marker,
    finding_for_test_marker,
    issue_date,
    money,
    quantity,
    rate,
    red_letter_from_remarks,
)
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument
from yanpiao.intake.safe import local_name


def _strip(text: str) -> str:
    return text.strip()


# Element names of original_invoice.xml, shared by the CustomTag files.
TOP_FIELDS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "InvoiceCode": ("code", compact),
    "InvoiceNo": ("number", compact),
    "IssueDate": ("issue_date", issue_date),
    "InvoiceCheckCode": ("check_code", compact),
    "MachineNo": ("machine_no", compact),
    "TaxExclusiveTotalAmount": ("amount", money),
    "TaxTotalAmount": ("tax", money),
    "TaxInclusiveTotalAmount": ("total", money),
    "InvoiceClerk": ("drawer", _strip),
    "Payee": ("payee", _strip),
    "Checker": ("reviewer", _strip),
    "Note": ("remarks", _strip),
}
LINE_FIELDS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "Item": ("name", _strip),
    "Specification": ("spec", _strip),
    "MeasurementDimension": ("unit", _strip),
    "Quantity": ("quantity", quantity),
    "Price": ("unit_price", quantity),
    "Amount": ("amount", money),
    "TaxScheme": ("tax_rate", rate),
    "TaxAmount": ("tax", money),
}
CUSTOM_DATAS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "发票代码": ("code", compact),
    "发票号码": ("number", compact),
    "开票日期": ("issue_date", issue_date),
    "校验码": ("check_code", compact),
    "合计金额": ("amount", money),
    "合计税额": ("tax", money),
    "价税合计": ("total", money),
    "购买方名称": ("buyer.name", _strip),
    "购买方纳税人识别号": ("buyer.tax_id", compact),
    "销售方名称": ("seller.name", _strip),
    "销售方纳税人识别号": ("seller.tax_id", compact),
}
# Fields whose disagreement between two places is reported.
CHECKED = (
    "code",
    "number",
    "issue_date",
    "check_code",
    "amount",
    "tax",
    "total",
    "seller.name",
    "seller.tax_id",
    "buyer.name",
    "buyer.tax_id",
)
# Printed titles (after NFKC, which turns full-width brackets into ASCII), most specific first.
TITLES = (
    ("电子发票(增值税专用发票)", types.DIGITAL_SPECIAL),
    ("电子发票(普通发票)", types.DIGITAL_ORDINARY),
    ("增值税电子专用发票", types.E_SPECIAL_VAT),
    ("通行费增值税电子普通发票", types.TOLL),
    ("增值税电子普通发票", types.E_ORDINARY_VAT),
)
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM")
MAX_QR_IMAGES = 4
QR_SIDE = 2000  # larger QR images are scaled down before decoding
WORDS = re.compile(
    r"(（负数）|\(负数\))?[ⓧ⊗]?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正]*[圆元角分][零壹贰叁肆伍陆柒捌玖角分整正]*"
)
PHONE = re.compile(r"(.*?)[\s,，;；]*((?:0\d{2,3}-?)?\d{7,8}(?:-\d{1,6})?|1\d{10})")
ACCOUNT = re.compile(r"(.*?\D)\s*(\d[\d -]{6,}\d)")


def _children(element: Element | None, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name] if element is not None else []


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _child_text(element: Element | None, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _join(base_dir: str, reference: str) -> str:
    """An OFD location: absolute from the package root, or relative to the referring file."""
    reference = reference.strip()
    if reference.startswith("/"):
        return posixpath.normpath(reference.lstrip("/"))
    return posixpath.normpath(posixpath.join(base_dir, reference))


def _text_of(text_object: Element) -> str:
    return "".join((code.text or "").strip() for code in _children(text_object, "TextCode"))


@dataclass
class _Texts:
    """The TextObjects of one page or template, in drawing order."""

    objects: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)  # object ID → index

    def add(self, object_id: str | None, text: str) -> None:
        if object_id:
            self.position[object_id] = len(self.objects)
        self.objects.append(text)

    def next_after(self, index: int) -> str:
        return self.objects[index + 1] if index + 1 < len(self.objects) else ""


class _Package:
    """The parts of one OFD document, parsed on demand and cached."""

    def __init__(self, archive: safe.SafeZip, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.findings: list[Finding] = []
        self._parsed: dict[str, Element | None] = {}
        self._texts: dict[str, _Texts] = {}
        self.root = self.xml("OFD.xml", required=True)
        self.body = _child(self.root, "DocBody")
        self.document_path = _join("", _child_text(self.body, "DocRoot") or "Doc_0/Document.xml")
        self.document_dir = posixpath.dirname(self.document_path)
        self.document = self.xml(self.document_path)
        common = _child(self.document, "CommonData")
        self.pages = {
            page.get("ID", ""): _join(self.document_dir, page.get("BaseLoc", ""))
            for page in _children(_child(self.document, "Pages"), "Page")
        }
        self.templates = {
            template.get("ID", ""): _join(self.document_dir, template.get("BaseLoc", ""))
            for template in _children(common, "TemplatePage")
        }
        self.resource_files = [
            _join(self.document_dir, element.text or "")
            for name in ("DocumentRes", "PublicRes")
            for element in _children(common, name)
        ]
        self.original_invoice = self._original_invoice()

    def xml(self, path: str, required: bool = False) -> Element | None:
        """A part of the package, parsed; None when absent or (for optional parts) damaged."""
        if path in self._parsed:
            return self._parsed[path]
        root = None
        if path in self.archive:
            data = self.archive.read(path)
            try:
                root = safe.parse_xml(data, self.limits)
            except RefusedDocument as exc:
                if exc.reason != "malformed":
                    raise
                root = self._without_namespaces(path, data, required)
        elif required:
            raise RefusedDocument("malformed", f"the OFD package lacks {path}")
        self._parsed[path] = root
        return root

    def _without_namespaces(self, path: str, data: bytes, required: bool) -> Element | None:
        try:
            return safe.parse_xml(data, self.limits, namespaces=False)
        except RefusedDocument as exc:
            if required or exc.reason != "malformed":
                raise
            self.findings.append(
                Finding("ofd.part_unreadable", "document", WARNING, f"{path} is skipped: {exc.message}")
            )
            return None

    def _original_invoice(self) -> Element | None:
        folder = posixpath.join(self.document_dir, "Attachs") + "/"
        for name in self.archive.names():
            if name.startswith(folder) and name.endswith(".xml") and not name.endswith("/Attachments.xml"):
                root = self.xml(name)
                if root is not None and local_name(root.tag).lower() == "einvoice":
                    return root
        return None

    # --- page text --------------------------------------------------------------------------

    def texts(self, path: str) -> _Texts:
        if path not in self._texts:
            texts = _Texts()
            root = self.xml(path)
            for element in root.iter() if root is not None else ():
                if local_name(element.tag) == "TextObject":
                    texts.add(element.get("ID"), _text_of(element))
            self._texts[path] = texts
        return self._texts[path]

    def page_templates(self, page_path: str) -> list[str]:
        return [
            self.templates[template.get("TemplateID", "")]
            for template in _children(self.xml(page_path), "Template")
            if template.get("TemplateID", "") in self.templates
        ]

    def locate(self, page_ref: str | None, object_id: str) -> tuple[_Texts, int] | None:
        """Where a TextObject ID is drawn: on the page or on one of its templates."""
        page_path = self.pages.get(page_ref or "")
        if page_path is None and len(self.pages) == 1:
            page_path = next(iter(self.pages.values()))
        if page_path is None:
            return None
        texts = self.texts(page_path)
        if object_id in texts.position:
            return texts, texts.position[object_id]
        for path in self.page_templates(page_path):
            texts = self.texts(path)
            if object_id in texts.position:
                return texts, texts.position[object_id]
        return None

    def page_texts(self) -> Iterator[str]:
        for path in self.pages.values():
            yield from self.texts(path).objects

    def template_texts(self) -> Iterator[str]:
        for path in self.templates.values():
            yield from self.texts(path).objects

    # --- custom tags ------------------------------------------------------------------------

    def custom_tag_roots(self) -> Iterator[Element]:
        tags_path = _child_text(self.document, "CustomTags")
        if not tags_path:
            return
        tags_path = _join(self.document_dir, tags_path)
        for tag in _children(self.xml(tags_path), "CustomTag"):
            location = _child_text(tag, "FileLoc")
            root = self.xml(_join(posixpath.dirname(tags_path), location)) if location else None
            if root is not None:
                yield root

    def tagged_text(self, element: Element) -> str:
        """The printed text an element's ObjectRefs point at, joined in order."""
        parts, last = [], None
        for ref in _children(element, "ObjectRef"):
            found = self.locate(ref.get("PageRef"), (ref.text or "").strip())
            if found is not None:
                parts.append(found[0].objects[found[1]])
                last = found
        text = "".join(parts)
        if last is not None and not text.strip("¥￥ "):
            text += last[0].next_after(last[1])  # the tag points only at the ¥: the number follows it
        return text

    # --- resources and signatures -----------------------------------------------------------

    def media(self, page_path: str) -> dict[str, str]:
        """MultiMedia resource ID → package path, from the document's and the page's resource files."""
        files = [*self.resource_files]
        files += [
            _join(posixpath.dirname(page_path), res.text or "")
            for res in _children(self.xml(page_path), "PageRes")
        ]
        found = {}
        for path in files:
            root = self.xml(path)
            if root is None:
                continue
            base = _join(posixpath.dirname(path), root.get("BaseLoc", ""))
            for media in _children(_child(root, "MultiMedias"), "MultiMedia"):
                found[media.get("ID", "")] = _join(base, _child_text(media, "MediaFile"))
        return found

    def page_images(self) -> Iterator[bytes]:
        """The images drawn on the pages (not in annotations, where seals are), squarest first."""
        for page_path in self.pages.values():
            root = self.xml(page_path)
            if root is None:
                continue
            media = self.media(page_path)
            objects = [element for element in root.iter() if local_name(element.tag) == "ImageObject"]
            objects.sort(key=_squareness)
            for element in objects[:MAX_QR_IMAGES]:
                path = media.get(element.get("ResourceID", ""))
                if path and path in self.archive:
                    yield self.archive.read(path)

    def signature_files(self) -> Iterator[str]:
        signatures_path = _child_text(self.body, "Signatures")
        if not signatures_path:
            return
        signatures_path = _join("", signatures_path)
        yield signatures_path
        for signature in _children(self.xml(signatures_path), "Signature"):
            path = _join(posixpath.dirname(signatures_path), signature.get("BaseLoc", ""))
            yield path
            value = _child_text(self.xml(path), "SignedValue")
            if value:
                yield _join(posixpath.dirname(path), value)

    def test_marker(self) -> str | None:
        """A test-environment CA or seal name in the signatures (see einvoice_xml.TEST_ENVIRONMENT_MARKERS).

        The signature files OFD.xml refers to are read, and any other file in a ``Signs`` folder.
        """
        unreferenced = [name for name in self.archive.names() if "/Signs/" in "/" + name]
        for path in dict.fromkeys([*self.signature_files(), *unreferenced]):
            if path in self.archive and (marker := find_test_marker(self.archive.read(path))):
                return marker
        signature = _child_text(self.original_invoice, "Signature")
        try:
            return find_test_marker(base64.b64decode(signature)) if signature else None
        except (binascii.Error, ValueError):
            return None


def _squareness(image_object: Element) -> float:
    try:
        _, _, width, height = (float(v) for v in image_object.get("Boundary", "").split())
        return abs(width - height) / max(width, height)
    except (ValueError, ZeroDivisionError):
        return 1.0


# --- reading the places ---------------------------------------------------------------------


def _split(text: str, pattern: re.Pattern) -> tuple[str, str]:
    """地址电话 → (address, phone), 开户行及账号 → (bank, account); all in the first when no number ends it."""
    text = text.strip()
    match = pattern.fullmatch(text)
    return (match.group(1).strip(), match.group(2)) if match and match.group(1).strip() else (text, "")


def _put(fields: dict[str, Any], path: str, value: str | None) -> None:
    if value and path not in fields:
        fields[path] = value


def _put_party(fields: dict[str, Any], role: str, name: str, text: str) -> None:
    if name == "Name":
        _put(fields, f"{role}.name", text.strip())
    elif name == "TaxID":
        _put(fields, f"{role}.tax_id", compact(text))
    elif name in ("AddrTel", "FinancialAccount"):
        first, second = ("address", "phone") if name == "AddrTel" else ("bank", "account")
        head, tail = _split(text, PHONE if name == "AddrTel" else ACCOUNT)
        _put(fields, f"{role}.{first}", head)
        _put(fields, f"{role}.{second}", tail)


def _line(values: dict[str, str]) -> dict[str, str]:
    line = {}
    for tag, text in values.items():
        if tag in LINE_FIELDS and text:
            name, normalise = LINE_FIELDS[tag]
            _put(line, name, normalise(text))
    if line.get("tax_rate") in ("exempt", "not_taxable") and "tax" not in line:
        line["tax"] = "0.00"  # printed ***
    return line


def _flat_lines(columns: dict[str, list[str]]) -> list[dict[str, str]]:
    """2024 CustomTags list each column's objects flat; lines are read only when the columns agree."""
    lengths = {len(values) for values in columns.values()}
    needed = ("Item", "Amount", "TaxScheme", "TaxAmount")
    if len(lengths) != 1 or not all(name in columns for name in needed):
        return []
    count = lengths.pop()
    return [_line({tag: values[i] for tag, values in columns.items()}) for i in range(count)]


def _fields(root: Element, value_of: Callable[[Element], str]) -> dict[str, Any]:
    """The invoice fields of original_invoice.xml or a CustomTag file, as ``path → value``."""
    fields: dict[str, Any] = {}
    lines: list[dict[str, str]] = []
    columns: dict[str, list[str]] = {}
    for element in root:
        name = local_name(element.tag)
        if name in ("Buyer", "Seller"):
            for part in element:
                _put_party(fields, name.lower(), local_name(part.tag).removeprefix(name), value_of(part))
        elif name == "GoodsInfos":
            lines += [_line({local_name(p.tag): value_of(p) for p in goods}) for goods in element]
        elif name in LINE_FIELDS:
            columns.setdefault(name, []).append(value_of(element))
        elif name in TOP_FIELDS:
            path, normalise = TOP_FIELDS[name]
            _put(fields, path, normalise(value_of(element)))
    lines += _flat_lines(columns)
    if lines:
        fields["items"] = lines
    return fields


def _custom_datas(package: _Package) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    info = _child(package.body, "DocInfo")
    for data in _children(_child(info, "CustomDatas"), "CustomData"):
        name = data.get("Name", "").strip()
        if name in CUSTOM_DATAS:
            path, normalise = CUSTOM_DATAS[name]
            _put(fields, path, normalise(data.text or ""))
    return fields


def _places(package: _Package) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(description, source, fields) of every place that holds invoice data, in priority order."""
    if package.original_invoice is not None:
        yield (
            "the attached original_invoice.xml",
            XML,
            _fields(package.original_invoice, lambda e: e.text or ""),
        )
    for root in package.custom_tag_roots():
        yield "the printed text its CustomTag points at", TEXT, _fields(root, package.tagged_text)
    yield "OFD.xml's CustomDatas", XML, _custom_datas(package)


def _merge(candidate: Candidate, package: _Package) -> None:
    first_place: dict[str, str] = {}
    for place, source, fields in _places(package):
        for path, value in fields.items():
            have = candidate.get(path, None)
            if have in (None, ""):
                candidate.set(path, value, source)
                first_place[path] = place
            elif path in CHECKED and compact(str(have)) != compact(str(value)):
                candidate.findings.append(
                    Finding(
                        "consistency.ofd_data",
                        path,
                        WARNING,
                        f"{path}: {first_place[path]} says {have!r}, but {place} says {value!r}",
                    )
                )


def _printed_words(package: _Package) -> str:
    """价税合计（大写）: the page text written only in capital numerals."""
    for text in package.page_texts():
        if WORDS.fullmatch(compact(text)):
            return compact(text)
    return ""


# --- QR code and type -----------------------------------------------------------------------


def _decode(data: bytes, limits: Limits, findings: list[Finding]) -> str | None:
    """The invoice payload of a QR image; None for JBIG2 and other images that cannot be decoded."""
    if not data.startswith(IMAGE_MAGIC):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > limits.max_pixels:
                findings.append(
                    Finding(
                        "qr.image_too_large",
                        "qr",
                        WARNING,
                        f"an image of {image.width}×{image.height} pixels is beyond the limit; not decoded",
                    )
                )
                return None
            image.draft("L", (QR_SIDE, QR_SIDE))
            image = image.convert("L")
            image.thumbnail((QR_SIDE, QR_SIDE))
            barcodes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except Exception:  # Pillow raises many kinds on damaged images; such an image is skipped
        return None
    return next((code.text for code in barcodes if qr_text.looks_like_payload(code.text)), None)


def _qr_payload(package: _Package, findings: list[Finding]) -> str | None:
    for data in package.page_images():
        payload = _decode(data, package.limits, findings)
        if payload:
            return payload
    # A JBIG2 QR cannot be decoded; the attached XML records its payload.
    return _child_text(package.original_invoice, "GraphCode") or None


def _same_key(name: str, ours: str, theirs: str) -> bool:
    if name in ("amount", "total"):
        return money(ours) == money(theirs)
    return compact(ours) == compact(theirs)


def _read_qr(candidate: Candidate, package: _Package) -> None:
    payload = _qr_payload(package, candidate.findings)
    if not payload:
        return
    try:
        from_qr = qr_text.candidate_from_payload(payload)
    except qr.QrFormatError as exc:
        candidate.findings.append(Finding("qr.format", "qr", WARNING, f"the QR code is not readable: {exc}"))
        return
    candidate.qr = from_qr.qr
    candidate.findings += from_qr.findings
    for name, value in from_qr.qr.items():
        printed = str(candidate.get(name))
        if not printed:
            candidate.set(name, value, QR)
        elif name != "type" and not _same_key(name, value, printed):
            candidate.findings.append(
                Finding(
                    "consistency.qr_text",
                    name,
                    WARNING,
                    f"the QR code says {name} is {value!r}, but the document's data says {printed!r}",
                )
            )


def type_from_title(text: str) -> str:
    """The type a printed title names, or "".

    >>> type_from_title("电子发票（普通发票）"), type_from_title("浙江增值税电子普通发票"), type_from_title("发票")
    ('32', '10', '')
    """
    text = unicodedata.normalize("NFKC", text)
    return next((type_code for title, type_code in TITLES if title in text), "")


def _set_type(candidate: Candidate, package: _Package) -> None:
    """From the printed title, else from the code (the QR code's type was taken already)."""
    for text in (*package.page_texts(), *package.template_texts()):
        if type_code := type_from_title(text):
            candidate.set("type", type_code, TEXT)
            return
    inferred = infer_type(str(candidate.get("code")), str(candidate.get("number")))
    candidate.set("type", inferred, candidate.sources.get("code", XML))


# --- the reader -----------------------------------------------------------------------------


def read(data: bytes, limits: Limits = DEFAULT) -> Extraction:
    """One candidate from an OFD invoice; raises :class:`RefusedDocument` for other ZIPs and OFDs."""
    archive = safe.open_zip(data, limits)
    if "OFD.xml" not in archive:
        raise RefusedDocument("not_supported", "a ZIP file that is not an OFD document (it has no OFD.xml)")
    package = _Package(archive, limits)
    candidate = Candidate()
    _merge(candidate, package)
    candidate.set("total_in_words", _printed_words(package), TEXT)
    remarks_source = candidate.sources.get("remarks", XML)
    candidate.set("red_letter_of", red_letter_from_remarks(str(candidate.get("remarks"))), remarks_source)
    _read_qr(candidate, package)
    if not candidate.get("type"):
        _set_type(candidate, package)
    if not candidate.get("number"):
        raise RefusedDocument(
            "not_invoice",
            "an OFD document without invoice data: no 发票号码 in OFD.xml's custom data, its tags, "
            "an attached invoice XML or a QR code",
        )
    candidate.findings += content_findings(candidate.fields)
    printed_text = "".join([*package.page_texts(), *package.template_texts()])
    found = specimen.markers(printed_text, candidate.fields, specimen.content_of(candidate.fields))
    if found:
        candidate.findings.append(specimen.finding(found))
    marker = package.test_marker()
    if marker:
        candidate.findings.append(finding_for_test_marker(marker))
    return Extraction("ofd", [candidate], package.findings)


__all__ = ["read", "type_from_title"]
