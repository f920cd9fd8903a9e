"""What a verifier says about a result: a rating (1–5 with a comment) and a report of a suspicious invoice."""

urlpatterns = []
