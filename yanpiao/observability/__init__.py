"""Observability: what the site tells its operators about itself.

Structured JSON logs with a request id (:mod:`.logs`, :mod:`.middleware`), Prometheus metrics at
``/metrics`` (:mod:`.metrics` counted in process, :mod:`.collectors` read from the database at
scrape time), ``/healthz`` and ``/readyz`` (:mod:`.views`), and the retention of the verification
history and of log files (:mod:`.retention`).  Plain modules, no models; docs/observability.md.
"""
