"""The registry: the authoritative record of every issued invoice and of its status changes."""
