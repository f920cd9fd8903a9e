"""What verifiers tell us about a result: ratings (1–5 with a comment) and reports of a suspicious invoice."""
