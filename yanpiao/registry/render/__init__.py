"""Rendering registered invoices as the documents their issuers hand out.

The issuing side renders what it registers, so that every format the verifier reads
round-trips: a PDF in the layout of a 数电票 or of an old e-普票 (:mod:`.pdf`), an OFD package
(:mod:`.ofd`), the 数电 XML (:mod:`.einvoice_xml`), a simulated phone photo (:mod:`.photo`),
and tampered copies whose QR code still carries the original key fields (:mod:`.tamper`).
:mod:`.layout` says what is printed where, for the PDF and the OFD alike; :mod:`.documents`
writes a folder of such files with a manifest of the outcome each should get.

Nothing here is a real tax-bureau document: there is no signature and no seal.
"""
