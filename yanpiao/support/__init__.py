"""Service and feedback around the verifier: help pages, tickets, ratings per aspect, surveys and
the suggestion board (see docs/support.md)."""
