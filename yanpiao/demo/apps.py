from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "yanpiao.demo"
    label = "demo"
    verbose_name = "Demo data"
