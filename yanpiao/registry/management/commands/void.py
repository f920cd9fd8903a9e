"""``yanpiao void``: void (作废) a registered invoice."""

from yanpiao.registry import services
from yanpiao.registry.management.status_command import StatusCommand


class Command(StatusCommand):
    help = "Void (作废) a registered invoice."
    change = staticmethod(services.void)
