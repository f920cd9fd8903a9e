"""Yanpiao (验票): a registry of issued Chinese invoices and the service that verifies them."""

__version__ = "0.1.0"
