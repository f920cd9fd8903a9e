"""The request guard: detects scanners, enumeration, credential stuffing and payload probes per
client address or account, and blocks them for a while (:mod:`yanpiao.guard.middleware`)."""
