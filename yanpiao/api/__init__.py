"""The HTTP API for apps, mini programs and companies' finance systems: ``/api/v1``.

A thin channel over the services and the access policy, like the web pages: each endpoint reads
its input, asks the service, and shapes the answer.  :mod:`~yanpiao.api.main` builds the API
(django-ninja, OpenAPI 3.1 at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``);
:mod:`~yanpiao.api.callers` decides who is calling (bearer token, session, or nobody) and how
often they may; :mod:`~yanpiao.api.errors` gives every 4xx its one shape.
"""
