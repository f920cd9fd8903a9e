from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SecurityConfig(AppConfig):
    name = "yanpiao.security"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        from yanpiao.security import checks, signals  # noqa: F401 (checks registers the system checks)

        signals.connect()
        post_migrate.connect(signals.restore_triggers, sender=self, dispatch_uid="yanpiao.audit.triggers")
