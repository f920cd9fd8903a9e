"""Accounts: users who log in by phone number or e-mail address, their roles and organisations."""
