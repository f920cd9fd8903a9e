"""Demo data: a registry of realistic invoices, demo accounts and documents to try Yanpiao on.

:mod:`.catalogue` holds what the invoices are made of, :mod:`.generator` draws them (pure,
deterministic for a seed), :mod:`.fill` registers them through the registry's services,
:mod:`.accounts` creates the demo accounts through the accounts' services, and
:mod:`.documents` writes sampled registered invoices as PDF, OFD and 数电 XML.  ``yanpiao
demo`` is the command over all of them.
"""
