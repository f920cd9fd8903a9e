from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "yanpiao.alerts"
    default_auto_field = "django.db.models.BigAutoField"
