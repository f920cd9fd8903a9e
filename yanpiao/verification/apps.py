from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "yanpiao.verification"
    label = "verification"
    verbose_name = "Verification"
