from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "yanpiao.security"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        from yanpiao.security import signals

        signals.connect()
