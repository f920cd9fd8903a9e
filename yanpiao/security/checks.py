"""System checks of the keys and the data folder: ``yanpiao check --deploy`` fails on them.

* ``yanpiao.E001`` — the master key is missing, malformed, or in a file others may read (always
  checked in production; the ``yanpiao`` command refuses to start then, with the same message);
* ``yanpiao.E002`` — the master key does not open the keysets in ``YANPIAO_HOME/keys`` (deploy);
* ``yanpiao.W001`` — in production, ``YANPIAO_HOME`` is open to group or others (deploy).
"""

import stat

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from yanpiao.security import keys


@register(Tags.security)
def master_key(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []  # development generates the key; a key file others may read is logged when read
    try:
        keys.require_master_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="yanpiao.E001")]
    return []


@register(Tags.security, deploy=True)
def keysets_open(app_configs=None, **kwargs):
    try:
        keys.require_master_key()
        refused = keys.unopenable_keysets()
    except ImproperlyConfigured:
        return []  # reported by yanpiao.E001
    return [
        Error(
            f"the master key does not open the keyset {path}",
            hint="set the master key these keysets were made with (YANPIAO_MASTER_KEY or _FILE)",
            id="yanpiao.E002",
        )
        for path in refused
    ]


@register(Tags.security, deploy=True)
def home_private(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    mode = stat.S_IMODE(keys.home().stat().st_mode)
    if not mode & 0o077:
        return []
    return [
        Warning(
            f"YANPIAO_HOME {keys.home()} is open to group or others (mode {mode:04o}); it holds the "
            "database, the keysets and the audit checkpoints",
            hint=f"chmod 700 {keys.home()}",
            id="yanpiao.W001",
        )
    ]
