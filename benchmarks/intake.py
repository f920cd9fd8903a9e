"""Median time to read one document, by format, beside a QR-only baseline, in one run.

    .venv/bin/python benchmarks/intake.py [--documents 40]

Documents are rendered from demo invoices by :mod:`yanpiao.documents` (PDF, OFD, 数电 XML) and
the test suite's photo simulator plus a photo-like image without a readable QR code (OCR fallback),
also upside down (ocr-180: OCR, orientation, OCR again).  The
baseline renders PDF page 1 with pypdfium2 and decodes its QR with zxing-cpp, nothing else.
Targets on this machine: PDF ≤ 50 ms, OFD ≤ 20 ms, XML ≤ 5 ms, photo ≤ 150 ms, OCR ≤ 3 s.
"""

import argparse
import datetime
import statistics
import time

from _setup import django_on


def median_ms(function, inputs) -> float:
    times = []
    for data in inputs:
        started = time.perf_counter()
        function(data)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def qr_only_baseline(pdf_bytes: bytes) -> list:
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf_bytes)
    image = document[0].render(scale=2).to_pil()
    return zxingcpp.read_barcodes(image)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--ocr-documents", type=int, default=5)
    args = parser.parse_args()
    django_on(None)

    from tests.support.photo import simulate_photo, turned, without_qr
    from yanpiao.demo.generator import generate
    from yanpiao.documents.einvoice_xml import render_xml
    from yanpiao.documents.ofd import render_ofd
    from yanpiao.documents.pdf import render_pdf
    from yanpiao.fapiao import types
    from yanpiao.intake import ocr, reader
    from yanpiao.intake.limits import RefusedDocument

    invoices = [
        inv
        for inv in generate(args.documents * 4, seed=5, end_date=datetime.date(2026, 6, 30))
        if not inv.red_letter_of
    ][: args.documents]
    pdfs = [render_pdf(inv) for inv in invoices]
    documents = {
        "pdf": pdfs,
        "ofd": [render_ofd(inv) for inv in invoices],
        "xml": [render_xml(inv) for inv in invoices if types.is_digital(inv.type)],
        "photo": [simulate_photo(pdf, seed=i) for i, pdf in enumerate(pdfs)],
    }
    documents["ocr"] = [without_qr(photo) for photo in documents["photo"][: args.ocr_documents]]
    documents["ocr-180"] = [turned(photo, 180) for photo in documents["ocr"]]

    started = time.perf_counter()
    ocr.recognise(__import__("numpy").zeros((32, 32, 3), dtype="uint8"))
    print(f"OCR engine load (once): {time.perf_counter() - started:.2f} s")
    print(f"{'format':8} {'documents':>9} {'median ms':>10}")

    def read(data: bytes) -> None:
        try:
            reader.extract(data)
        except RefusedDocument as refused:
            print(f"  refused: {refused.message}")

    for name, inputs in documents.items():
        print(f"{name:8} {len(inputs):9d} {median_ms(read, inputs):10.1f}")
    photos = documents["photo"]
    fast = median_ms(lambda d: reader.extract(d, ocr_content=False), photos)
    print(
        f"{'photo-qr':8} {len(photos):9d} {fast:10.1f}   (as verification reads it: QR, OCR only without one)"
    )
    print(
        f"{'baseline':8} {len(pdfs):9d} {median_ms(qr_only_baseline, pdfs):10.1f}   (PDF page 1 render + zxing QR only)"
    )


if __name__ == "__main__":
    main()
