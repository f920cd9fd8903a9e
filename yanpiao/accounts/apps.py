from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yanpiao.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from yanpiao.accounts import delivery

        # Queued mail and text messages leave once the response has been sent.
        request_started.connect(delivery.request_started, dispatch_uid="accounts.delivery.started")
        request_finished.connect(delivery.request_finished, dispatch_uid="accounts.delivery.finished")
