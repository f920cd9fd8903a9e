from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "yanpiao.security"
    label = "security"
    verbose_name = "Security"
