from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yanpiao.accounts"
    label = "accounts"
    verbose_name = "Accounts"
