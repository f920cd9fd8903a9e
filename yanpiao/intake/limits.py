"""Limits against hostile or broken files, and the error that refuses a document.

Every reader checks what it unpacks, decodes or renders against :class:`Limits` before
doing the work, so that a zip bomb, a 100-megapixel image or a 10,000-page PDF is refused
in bounded time and memory with a message a person can act on.
"""

from dataclasses import dataclass


class RefusedDocument(Exception):
    """The document cannot be read: too large, malformed, encrypted, not an invoice…

    ``reason`` is a short machine-readable word (``too_large``, ``not_supported``,
    ``malformed``, ``encrypted``, ``not_invoice``, ``unsafe``); the message is for people.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_pdf_pages: int = 50
    max_zip_entries: int = 500
    max_unpacked_bytes: int = 100 * 1024 * 1024
    max_zip_ratio: int = 100
    max_xml_bytes: int = 10 * 1024 * 1024


DEFAULT = Limits()
