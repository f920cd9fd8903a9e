"""The budget of work for reading one document, whatever the document claims about itself.

A small file can ask for minutes of work: a 47 KB PDF of 50 pages, each drawing one
6300×6300 image twelve times; 50 blank pages, each rendered and read by OCR; a 6300×6300
blank PNG.  The size checks of :class:`~yanpiao.intake.limits.Limits` do not see it, since each
part is within them.  So the readers count what they really do, and stop before the next step
that would pass a limit:

- pixels decoded or rendered (embedded images, page renders, the image itself), per page
  (``max_page_pixels``) and for the whole document (``max_document_pixels``), charged from the
  sizes known *before* anything is allocated;
- page renders (``max_rendered_pages``) and OCR runs (``max_ocr_runs``);
- seconds since the read began (``max_seconds``), looked at between pages, renders, QR views
  and OCR runs, and at every charge.

Past a limit the document is refused as ``too_costly``, the message naming the limit (the
field of ``YANPIAO_INTAKE_LIMITS`` an operator would raise).  One budget covers one read:
:func:`scope` opens it (``reader.extract`` and each reader's ``read``; an inner scope reuses the
running one), :func:`current` is what the steps deep inside charge.  It lives in a context
variable, so each thread (a web request) has its own.

>>> from yanpiao.intake.limits import Limits
>>> with scope(Limits(max_ocr_runs=1)) as spent:
...     spent.ocr()
...     current().ocr()
Traceback (most recent call last):
...
yanpiao.intake.limits.RefusedDocument: reading the document would take more than 1 OCR run (max_ocr_runs); refused as too costly
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

from yanpiao.intake.limits import DEFAULT, Limits, RefusedDocument

REASON = "too_costly"
clock = time.monotonic  # module-level, so that tests can make time pass

_running: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "yanpiao_intake_budget", default=None
)


def _refuse(what: str, limit: str) -> RefusedDocument:
    return RefusedDocument(REASON, f"reading the document would {what} ({limit}); refused as too costly")


def _after(spent: int) -> str:
    return f" after {spent:,}" if spent else ""


class Budget:
    """What one read has spent: pixels (this page, in all), renders, OCR runs, and its start time."""

    def __init__(self, limits: Limits = DEFAULT):
        self.limits = limits
        self.started = clock()
        self.page_number: int | None = None
        self.page_pixels = 0
        self.document_pixels = 0
        self.renders = 0
        self.ocr_runs = 0

    def check_time(self) -> None:
        """Refuse once the read has taken more than ``max_seconds``."""
        elapsed = clock() - self.started
        if elapsed > self.limits.max_seconds:
            raise _refuse(
                f"take more than {self.limits.max_seconds:g} s: {elapsed:.1f} s so far", "max_seconds"
            )

    def page(self, number: int) -> None:
        """A new page begins: its own pixel count starts from zero."""
        self.check_time()
        self.page_number = number
        self.page_pixels = 0

    def room(self) -> int:
        """Pixels that may still be decoded or rendered on this page (and in the document)."""
        return max(
            0,
            min(
                self.limits.max_page_pixels - self.page_pixels,
                self.limits.max_document_pixels - self.document_pixels,
            ),
        )

    def pixels(self, count: int, what: str) -> None:
        """Charge ``count`` pixels about to be decoded or rendered (``what``: "a 6300×6300 image")."""
        self.check_time()
        where = f" on page {self.page_number}" if self.page_number else ""
        if self.page_pixels + count > self.limits.max_page_pixels:
            raise _refuse(
                f"decode or render more than {self.limits.max_page_pixels:,} pixels{where}, "
                f"with {what} of {count:,} pixels{_after(self.page_pixels)}",
                "max_page_pixels",
            )
        if self.document_pixels + count > self.limits.max_document_pixels:
            raise _refuse(
                f"decode or render more than {self.limits.max_document_pixels:,} pixels in all, "
                f"with {what}{where} of {count:,} pixels{_after(self.document_pixels)}",
                "max_document_pixels",
            )
        self.page_pixels += count
        self.document_pixels += count

    def render(self) -> None:
        """Count one page render (a page rendered twice, for its QR code and for OCR, counts twice)."""
        self.check_time()
        if self.renders >= self.limits.max_rendered_pages:
            raise _refuse(
                f"render pages more than {self.limits.max_rendered_pages} times", "max_rendered_pages"
            )
        self.renders += 1

    def ocr(self) -> None:
        """Count one OCR run (reading a picture; the cheap orientation check is not one)."""
        self.check_time()
        if self.ocr_runs >= self.limits.max_ocr_runs:
            runs = self.limits.max_ocr_runs
            raise _refuse(f"take more than {runs} OCR run{'s' if runs != 1 else ''}", "max_ocr_runs")
        self.ocr_runs += 1


def current() -> Budget:
    """The budget of the read under way; outside any read, a fresh one with the default limits."""
    return _running.get() or Budget(DEFAULT)


@contextlib.contextmanager
def scope(limits: Limits = DEFAULT) -> Iterator[Budget]:
    """The budget of one read: the one already running (an inner reader), else a new one for ``limits``."""
    running = _running.get()
    if running is not None:
        yield running
        return
    started = Budget(limits)
    token = _running.set(started)
    try:
        yield started
    finally:
        _running.reset(token)


__all__ = ["REASON", "Budget", "current", "scope"]
