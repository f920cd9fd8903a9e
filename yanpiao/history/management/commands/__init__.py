"""``yanpiao history``: list and export the verification history."""
