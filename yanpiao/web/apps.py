from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yanpiao.web"
    label = "web"
    verbose_name = "Web"
