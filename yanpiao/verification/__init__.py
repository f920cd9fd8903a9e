"""Verification: checking a submitted invoice against the registry, and the history of every check."""
