"""The verification history pages: my checks (an auditor: everyone's), filtered and paged, exported as CSV or XLSX."""

urlpatterns = []
