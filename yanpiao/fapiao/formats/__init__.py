"""Format tables shared by the readers (:mod:`yanpiao.intake`) and the writers (:mod:`yanpiao.documents`).

One module per document format says which printed title, element or attribute holds which field
of invoice JSON (dotted paths: ``number``, ``buyer.tax_id``, ``items[].amount``).  Readers and
writers derive their lists from these tables, so that every file written reads back and a
format fact is stated once.  Pure data and tiny helpers: no parsing, no I/O.

* :mod:`.titles` — printed titles ↔ type codes (PDF text, OCR, OFD page text);
* :mod:`.ofd` — OFD names: original_invoice.xml / CustomTag elements, DocInfo CustomDatas, XBRL facts;
* :mod:`.einvoice_xml` — the 数电 XML's element names.
"""
