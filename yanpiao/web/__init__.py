"""The web site: pages over the same services as the CLI and the API."""
