"""What every fuzz run of a document reader asserts: an extraction or a documented refusal, in time."""

import time

from yanpiao.intake import reader
from yanpiao.intake.candidate import Extraction
from yanpiao.intake.limits import Limits, RefusedDocument

# The intake's budget, tightened for the runs; OCR is refused (too_costly) rather than run, to keep
# each example short: the readers before it are what is fuzzed.
LIMITS = Limits(max_seconds=5.0, max_ocr_runs=0, max_rendered_pages=2, max_pdf_pages=5)
REASONS = {
    "too_large",
    "too_costly",
    "not_supported",
    "malformed",
    "encrypted",
    "not_invoice",
    "unsafe",
    "unreadable",
}


def extracted_or_refused(data: bytes) -> Extraction | None:
    started = time.monotonic()
    try:
        extraction = reader.extract(data, LIMITS, ocr_content=False)
    except RefusedDocument as refused:
        assert refused.reason in REASONS, refused.reason
        assert refused.message
        extraction = None
    else:
        assert extraction.candidates and all(c.has_any_key for c in extraction.candidates)
    seconds = time.monotonic() - started
    assert seconds <= LIMITS.max_seconds + 2, f"{seconds:.1f} s, over the intake's budget"
    return extraction
