from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "yanpiao.registry"
    label = "registry"
    verbose_name = "Invoice registry"
