"""Limits against hostile or broken files, and the error that refuses a document.

Every reader checks what it unpacks, decodes or renders against :class:`Limits` before
doing the work, so that a zip bomb, a 100-megapixel image or a 10,000-page PDF is refused
in bounded time and memory with a message a person can act on.  The last five fields are the
budget of work of one read (:mod:`yanpiao.intake.budget`): a small file that asks for minutes
of rendering or OCR is refused as ``too_costly``.

>>> Limits.from_mapping({"max_seconds": 8}).max_seconds
8
>>> Limits.from_mapping({"max_pages": 3})
Traceback (most recent call last):
...
ValueError: unknown intake limit 'max_pages'; the limits are max_bytes, max_pixels, max_pdf_pages, max_zip_entries, max_unpacked_bytes, max_zip_ratio, max_xml_bytes, max_page_pixels, max_document_pixels, max_rendered_pages, max_ocr_runs, max_seconds
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class RefusedDocument(Exception):
    """The document cannot be read: too large, malformed, encrypted, not an invoice…

    ``reason`` is a short machine-readable word (``too_large``, ``too_costly``, ``not_supported``,
    ``malformed``, ``encrypted``, ``not_invoice``, ``unsafe``); the message is for people.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000  # one image or one render
    max_pdf_pages: int = 50
    max_zip_entries: int = 500
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_zip_ratio: int = 100
    max_xml_bytes: int = 10 * 1024 * 1024
    # The budget of one read (yanpiao.intake.budget).  Pixels decoded or rendered on one page (the
    # images it draws, its renders; an image file is one page) and in the whole document:
    max_page_pixels: int = 50_000_000
    max_document_pixels: int = 150_000_000
    max_rendered_pages: int = 20  # page renders (for a QR code or OCR)
    max_ocr_runs: int = 3  # a sideways photo takes two, an upright page one
    max_seconds: float = 20.0  # wall clock, the whole read

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "Limits":
        """Limits from a mapping of field names to numbers (``YANPIAO_INTAKE_LIMITS``), the rest default.

        Raises ValueError naming an unknown field, or a value that is not a number at least 0 (1 for
        sizes, pages and seconds).
        """
        fields = {field.name: field for field in dataclasses.fields(cls)}
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name not in fields:
                raise ValueError(f"unknown intake limit {name!r}; the limits are {', '.join(fields)}")
            if fields[name].type in (float, "float"):
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
                kind = "a number above 0"
            else:
                least = 0 if name == "max_ocr_runs" else 1
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= least
                kind = f"a whole number, at least {least}"
            if not ok:
                raise ValueError(f"the intake limit {name} must be {kind}, not {value!r}")
            checked[name] = value
        return cls(**checked)


DEFAULT = Limits()
