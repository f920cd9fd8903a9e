"""Pages that verify documents: upload one or many files, and scan an invoice's QR code with the camera (or a hardware scanner)."""

urlpatterns = []
