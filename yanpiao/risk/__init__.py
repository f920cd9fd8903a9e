"""Risk assessment: explainable rules and a learned model score every verification (see docs/risk.md)."""
