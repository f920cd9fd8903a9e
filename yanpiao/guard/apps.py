"""The request guard's app: connects the failed log-in signal to the credential-stuffing detector."""

from django.apps import AppConfig


class GuardConfig(AppConfig):
    name = "yanpiao.guard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from yanpiao.guard import detectors

        user_login_failed.connect(detectors.login_failed, dispatch_uid="yanpiao.guard.login_failed")
