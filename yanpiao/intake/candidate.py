"""What a reader finds in a document: invoice candidates with the source of every field.

A candidate's ``fields`` are invoice JSON (``docs/invoice-json.md``), possibly
partial: a QR code gives only the key fields, a photo gives what OCR could read.  Fields
that were not read are absent, never guessed.  ``sources`` says where each field came from
(``qr``, ``text``, ``xml``, ``ocr``), by its dotted path (``seller.tax_id``, ``items``).

The key fields a candidate is verified by come from its QR code when one was decoded (the
QR carries a CRC and is what a forger of the printed text leaves alone), and the printed
content is then compared as a whole: a document whose text was altered comes out
``tampered``.  Without a QR code, the key is the code, number, date and the amount field
the national platform asks for the type (total for 数电票, amount for 专票, check code for
普票); every other field is content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yanpiao.fapiao.code import infer_type
from yanpiao.fapiao.compare import Query
from yanpiao.fapiao.findings import Finding, has_errors
from yanpiao.fapiao.types import DIGITAL_ORDINARY, key_amount_field

QR, TEXT, XML, OCR = "qr", "text", "xml", "ocr"
KEY_FIELDS = ("type", "code", "number", "issue_date", "amount", "check_code", "total")


@dataclass
class Candidate:
    fields: dict[str, Any] = field(default_factory=dict)
    # The key fields decoded from the QR code, when there is one (see qr_text.candidate_from_payload).
    qr: dict[str, str] = field(default_factory=dict)
    # The QR code's text as decoded, when there is one: the verification service checks the
    # signature a payload issued by Yanpiao carries (yanpiao.security.qr_signature).
    qr_text: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    page: int | None = None

    def set(self, path: str, value: Any, source: str) -> None:
        """Record a value read from the document (top-level or ``party.field``); empty values are skipped."""
        if value in (None, "", [], {}):
            return
        if "." in path:
            party, name = path.split(".", 1)
            self.fields.setdefault(party, {})[name] = value
        else:
            self.fields[path] = value
        self.sources[path] = source

    def get(self, path: str, default: Any = "") -> Any:
        if "." in path:
            party, name = path.split(".", 1)
            return self.fields.get(party, {}).get(name, default)
        return self.fields.get(path, default)

    @property
    def has_key(self) -> bool:
        """Enough was read to look the invoice up: a number, a date and one amount field."""
        return bool(self.get("number") and self.get("issue_date")) and any(
            self.get(name) for name in ("amount", "check_code", "total")
        )

    @property
    def has_any_key(self) -> bool:
        """At least one key field was read (the type alone is not one): a candidate without is no invoice."""
        return bool(self.qr) or any(self.get(name) for name in KEY_FIELDS if name != "type")

    @property
    def refused(self) -> bool:
        """An error finding about the document itself (e.g. a test-environment invoice)."""
        return has_errors(f for f in self.findings if f.field == "document")

    def query(self) -> Query:
        """The key fields (see the module docstring), with the whole candidate as content."""
        if self.qr:
            key = dict(self.qr)
        else:
            key = {name: str(self.get(name)) for name in ("type", "code", "number", "issue_date")}
            type_code = key["type"] or infer_type(key["code"], key["number"])
            if not type_code and len(key["number"]) == 20:
                type_code = DIGITAL_ORDINARY  # 31 and 32 both ask for the total
            preferred = key_amount_field(type_code) if type_code else ""
            present = [name for name in ("amount", "check_code", "total") if self.get(name)]
            chosen = preferred if preferred in present else (present[0] if present else "")
            if chosen:
                value = str(self.get(chosen))
                key[chosen] = value[-6:] if chosen == "check_code" else value
        return Query.from_fields(content=self.content(), **key)

    def content(self) -> dict[str, Any]:
        """The fields compared with the registered invoice: all but those read by OCR.

        OCR misreads too often for a difference to mean tampering; the key fields it read
        are still checked, as the key.
        """
        content: dict[str, Any] = {}
        for name, value in self.fields.items():
            if isinstance(value, dict):
                kept = {k: v for k, v in value.items() if self.sources.get(f"{name}.{k}") != OCR}
                if kept:
                    content[name] = kept
            elif self.sources.get(name) != OCR:
                content[name] = value
        return content

    def to_json(self) -> dict[str, Any]:
        return {
            "invoice": self.fields,
            "qr": self.qr,
            "sources": self.sources,
            "findings": [f.to_json() for f in self.findings],
            "page": self.page,
        }


@dataclass
class Extraction:
    """Everything read from one document."""

    format: str  # qr, image, pdf, ofd, xml
    candidates: list[Candidate] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "invoices": [c.to_json() for c in self.candidates],
            "findings": [f.to_json() for f in self.findings],
        }
