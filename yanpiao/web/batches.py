"""The batch pages: upload a file of invoices, watch its progress live, download the results."""

urlpatterns = []
