"""``yanpiao flag``: flag a registered invoice as abnormal (失控/异常), as the authority does."""

from yanpiao.registry import services
from yanpiao.registry.management.status_command import StatusCommand


class Command(StatusCommand):
    help = "Flag a registered invoice as abnormal (失控/异常)."
    change = staticmethod(services.flag_abnormal)
