"""The history app: it holds no tables, only the ``history`` management command."""

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "yanpiao.history"
    label = "history"
    verbose_name = "History"
