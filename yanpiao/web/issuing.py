"""The issuer's pages: register an invoice, list the organisation's invoices, void one, issue a red-letter invoice; the signed QR code."""

urlpatterns = []
