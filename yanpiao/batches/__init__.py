"""Batch verification: a whole file of invoices (a table or a ZIP of documents) verified in chunks
that any worker may take, with progress, results in input order, resumable after a crash."""
