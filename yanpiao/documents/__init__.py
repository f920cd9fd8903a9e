"""Writing invoices as the documents their issuers hand out: PDF, OFD and the 数电 XML.

Pure writers (no Django, no database): a PDF in the layout of a 数电票 or of an old e-普票
(:mod:`.pdf`), an OFD package (:mod:`.ofd`) and the 数电 XML (:mod:`.einvoice_xml`), all from a
:class:`yanpiao.fapiao.invoice.Invoice`.  :mod:`.layout` says what is printed where, for the PDF
and the OFD alike.  Element names and printed titles come from the format tables in
:mod:`yanpiao.fapiao.formats`, which the intake readers use too, so that every file written
here reads back.

Nothing here is a real tax-bureau document: there is no signature and no seal.
"""
