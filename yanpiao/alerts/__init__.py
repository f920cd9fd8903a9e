"""Alerts: what the risk rules and model find worth a person's look, worked through by auditors and
sent to the departments concerned (see docs/alerts.md)."""
