"""The WSGI application that ``yanpiao serve`` hands to granian.

A server process makes its files private (umask 0o077), and in production it refuses to load
without a usable master key (``ImproperlyConfigured``), as ``yanpiao serve`` does.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.umask(0o077)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanpiao.settings")
application = get_wsgi_application()

if settings.PRODUCTION:
    from yanpiao.security import keys

    keys.require_master_key()
