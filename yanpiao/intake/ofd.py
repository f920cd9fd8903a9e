"""OFD invoices (GB/T 33190): a ZIP package whose invoice data sits in several places.

``OFD.xml`` names the document (``DocBody/DocRoot``, usually ``Doc_0/Document.xml``), which
lists its pages, templates, resources, attachments and tags.  The places read, in priority
order (a value from an earlier place wins; a later place that disagrees on a key field or a
party adds the warning ``consistency.ofd_data``):

1. ``Doc_0/Attachs/original_invoice.xml`` (2020-style e-普票 and e-专票): the issuer's data,
   source ``xml``.  Namespaces vary, so elements are matched by local name.
2. XBRL attachments (财政部 electronic-voucher standard; Attachments.xml lists them with
   ``Format="xbrl"`` or ``"xml"``, their root is ``xbrl``): the facts of 增值税电子普通发票 and of
   电子发票（铁路电子客票）, by local name, source ``xml``.  Some OFDs carry nothing else.
3. ``Doc_0/Tags/CustomTags.xml`` → ``CustomTag.xml``: each field holds ``ObjectRef`` IDs of the
   TextObjects printed on a page (or its template), resolved to that text, source ``text``.
   An amount may point only at the ``¥`` object: the next text object is the number.  Some
   producers write ``<:eInvoice xmlns:="">`` with an undeclared ``ofd:`` prefix; such parts are
   read without namespace processing.
4. ``DocInfo/CustomDatas`` in ``OFD.xml`` (发票号码, 开票日期 ``2025年03月07日``, 合计金额 = excl.
   tax, 合计税额, 价税合计, 校验码, the parties' tax IDs), source ``xml``.
5. Without attachments or CustomTag, the printed page itself: its TextObjects (and its
   template's) laid out by their boundaries and read by :mod:`yanpiao.intake.printed`
   (合计 ¥金额 ¥税额, 价税合计, parties, lines), source ``text``.
6. The QR code: a PNG or JPEG ImageObject on the page, decoded with zxing-cpp, fills
   ``candidate.qr``; a field where it disagrees with the data above gets the warning
   ``consistency.qr_text``.  JBIG2 images cannot be decoded: the attached XML's ``GraphCode``
   (the same payload) stands in for them.

Element and data names come from :mod:`yanpiao.fapiao.formats.ofd`, shared with the writer;
each field's normaliser follows its kind (:func:`yanpiao.intake.einvoice_xml.normaliser`).

The type comes from the QR code, else from the printed title
(:mod:`yanpiao.fapiao.formats.titles`), else from the code; a railway e-ticket is read as a 数电
普通发票 (32) with the warning ``document.railway_e_ticket``: Yanpiao has no type of its own for it.
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
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import zxingcpp
from PIL import Image

from yanpiao.fapiao import qr, types
from yanpiao.fapiao.code import infer_type
from yanpiao.fapiao.findings import WARNING, Finding
from yanpiao.fapiao.formats import ofd as names
from yanpiao.fapiao.formats import titles
from yanpiao.intake import printed, qr_text, safe, specimen
from yanpiao.intake.candidate import QR, TEXT, XML, Candidate, Extraction
from yanpiao.intake.einvoice_xml import (
    compact,
    content_findings,
    find_test_marker,
    finding_for_test_marker,
    money,
    normaliser,
    red_letter_from_remarks,
)
from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument
from yanpiao.intake.ocr import TextBox
from yanpiao.intake.safe import local_name


def _by_element(
    table: dict[str, str], prefix: str = ""
) -> dict[str, tuple[str, Callable[[str], str | None]]]:
    """element → (field, normaliser) from a format table of element → invoice-JSON path."""
    return {element: (path, normaliser(prefix + path)) for element, path in table.items()}


TOP_FIELDS = _by_element(names.TOP)
LINE_FIELDS = _by_element(names.LINE_FIELDS, "items[].")
CUSTOM_DATAS = _by_element(names.CUSTOM_DATAS)
XBRL_LINE_FIELDS = _by_element(names.XBRL_ORDINARY_LINE_FIELDS, "items[].")
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
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM")
MAX_QR_IMAGES = 4
MAX_ATTACHMENTS = 8  # attached files parsed in search of invoice data
MAX_PRINTED_BOXES = 5000  # text objects laid out when the page text is the only place of data
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
        self.original_invoice, self.xbrl = self._attachments()

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

    def _attachments(self) -> tuple[Element | None, list[Element]]:
        """The attached original_invoice.xml (``eInvoice``) and XBRL instances (``xbrl``), by their roots.

        The files are those Attachments.xml lists and any other XML in the Attachs folder; at most
        ``MAX_ATTACHMENTS`` of them are parsed.
        """
        folder = posixpath.join(self.document_dir, "Attachs")
        listed = _children(self.xml(posixpath.join(folder, "Attachments.xml")), "Attachment")
        paths = [_join(folder, _child_text(a, "FileLoc")) for a in listed if _child_text(a, "FileLoc")]
        paths += [name for name in self.archive.names() if name.startswith(folder + "/")]
        original, xbrl = None, []
        for path in list(dict.fromkeys(paths))[:MAX_ATTACHMENTS]:
            if not path.lower().endswith((".xml", ".xbrl")) or path.endswith("/Attachments.xml"):
                continue
            root = self.xml(path) if path in self.archive else None
            kind = local_name(root.tag).lower() if root is not None else ""
            if kind == names.ORIGINAL_INVOICE_ROOT.lower() and original is None:
                original = root
            elif kind == names.XBRL_ROOT:
                xbrl.append(root)
        return original, xbrl

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

    def text_boxes(self, path: str) -> Iterator[TextBox]:
        """The TextObjects of a page or template as positioned boxes (mm, y down), from their Boundary."""
        root = self.xml(path)
        for element in root.iter() if root is not None else ():
            if local_name(element.tag) != "TextObject":
                continue
            try:
                x, y, width, height = (float(v) for v in element.get("Boundary", "").split())
            except ValueError:
                continue
            yield TextBox(_text_of(element), x, y, x + width, y + height)

    def printed_page(self) -> printed.Page | None:
        """The first page as printed (its own text and its templates'), laid out for the printed reader."""
        if not self.pages:
            return None
        page_path = next(iter(self.pages.values()))
        boxes = [
            box for path in (page_path, *self.page_templates(page_path)) for box in self.text_boxes(path)
        ]
        return printed.Page(boxes[:MAX_PRINTED_BOXES]) if boxes else None

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


def _put_party(fields: dict[str, Any], role: str, part: str, text: str) -> None:
    """A party part: one field (Name, TaxID), or two printed as one text (AddrTel, FinancialAccount)."""
    paths = names.PARTY_PARTS.get(part, ())
    if len(paths) == 1:
        _put(fields, f"{role}.{paths[0]}", normaliser(paths[0])(text))
    elif len(paths) == 2:
        head, tail = _split(text, PHONE if paths[1] == "phone" else ACCOUNT)
        _put(fields, f"{role}.{paths[0]}", head)
        _put(fields, f"{role}.{paths[1]}", tail)


def _line(values: dict[str, str], table: dict = LINE_FIELDS) -> dict[str, str]:
    line = {}
    for tag, text in values.items():
        if tag in table and text:
            name, normalise = table[tag]
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
        if name in names.PARTIES:
            for part in element:
                _put_party(
                    fields, names.PARTIES[name], local_name(part.tag).removeprefix(name), value_of(part)
                )
        elif name == names.LINES:
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


def _xbrl_fields(root: Element) -> dict[str, Any]:
    """The invoice fields of an XBRL instance (增值税电子普通发票 or 铁路电子客票), facts by local name."""
    facts: dict[str, str] = {}
    lines = []
    for element in root:
        name = local_name(element.tag)
        if name == names.XBRL_ORDINARY_LINE:
            lines.append(_line({local_name(fact.tag): fact.text or "" for fact in element}, XBRL_LINE_FIELDS))
        elif len(element) == 0 and element.text and element.text.strip():
            facts.setdefault(name, element.text.strip())
    table = names.XBRL_RAILWAY if names.XBRL_RAILWAY_MARK in facts else names.XBRL_ORDINARY
    fields: dict[str, Any] = {}
    for fact, paths in table.items():
        text = facts.get(fact, "")
        if not text:
            continue
        if len(paths) == 1:
            _put(fields, paths[0], normaliser(paths[0])(text))
        else:
            head, tail = _split(text, PHONE if paths[1].endswith("phone") else ACCOUNT)
            _put(fields, paths[0], head)
            _put(fields, paths[1], tail)
    if lines:
        fields["items"] = lines
    return fields


def _is_railway(root: Element) -> bool:
    return any(local_name(element.tag) == names.XBRL_RAILWAY_MARK for element in root)


def _printed_fields(page: printed.Page) -> dict[str, Any]:
    """What the printed-text reader finds on the page, as ``path → value`` (the type is read apart)."""
    found = printed.parse_page(page, TEXT).fields
    fields: dict[str, Any] = {}
    for name, value in found.items():
        if name in names.PARTIES.values():
            fields.update({f"{name}.{part}": text for part, text in value.items()})
        elif name != "type":
            fields[name] = value
    return fields


def _places(package: _Package) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(description, source, fields) of every place that holds invoice data, in priority order.

    The printed page is read as text only when nothing else points at it: no attached data and no
    CustomTag (a 数电 OFD with CustomDatas alone, or none).
    """
    if package.original_invoice is not None:
        yield (
            "the attached original_invoice.xml",
            XML,
            _fields(package.original_invoice, lambda e: e.text or ""),
        )
    for root in package.xbrl:
        yield "the attached XBRL voucher", XML, _xbrl_fields(root)
    tag_roots = list(package.custom_tag_roots())
    for root in tag_roots:
        yield "the printed text its CustomTag points at", TEXT, _fields(root, package.tagged_text)
    yield "OFD.xml's CustomDatas", XML, _custom_datas(package)
    if package.original_invoice is None and not package.xbrl and not tag_roots:
        page = package.printed_page()
        if page is not None:
            yield "the printed page", TEXT, _printed_fields(page)


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
    return _child_text(package.original_invoice, names.QR_PAYLOAD) or None


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
    candidate.qr_text = from_qr.qr_text
    candidate.findings += from_qr.findings
    for name, value in from_qr.qr.items():
        stated = str(candidate.get(name))
        if not stated:
            candidate.set(name, value, QR)
        elif name != "type" and not _same_key(name, value, stated):
            candidate.findings.append(
                Finding(
                    "consistency.qr_text",
                    name,
                    WARNING,
                    f"the QR code says {name} is {value!r}, but the document's data says {stated!r}",
                )
            )


def type_from_title(text: str, marks: Iterable[str] = ()) -> str:
    """The type a printed title names (:func:`yanpiao.fapiao.formats.titles.read_type`), or "".

    >>> type_from_title("电子发票（普通发票）"), type_from_title("浙江增值税电子普通发票"), type_from_title("发票")
    ('32', '10', '')
    """
    return titles.read_type(text, marks)


def _railway_type(candidate: Candidate) -> None:
    """An 电子发票（铁路电子客票） is a 数电 invoice whose type (QR type 51) Yanpiao has no code for.

    Like 数电票 it has no 发票代码, a 20-digit number, and is verified by number, issue date and
    价税合计 (the fare): it is read as a 数电 普通发票 (32), with a warning that says so.
    """
    candidate.set("type", types.DIGITAL_ORDINARY, XML)
    candidate.findings.append(
        Finding(
            "document.railway_e_ticket",
            "type",
            WARNING,
            "an 电子发票（铁路电子客票） (QR type 51), read as a 数电 普通发票 (32): its key is the 20-digit "
            "number, the issue date and the fare (价税合计)",
        )
    )


def _set_type(candidate: Candidate, package: _Package) -> None:
    """From the printed title, else from the code (the QR code's type was taken already)."""
    texts = [*package.page_texts(), *package.template_texts()]
    for text in texts:
        if type_code := type_from_title(text, texts):
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
    if any(_is_railway(root) for root in package.xbrl):
        _railway_type(candidate)
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
