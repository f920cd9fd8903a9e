from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "yanpiao.risk"
    default_auto_field = "django.db.models.BigAutoField"
