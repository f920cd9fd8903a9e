"""The Django app of the verification certificates: it brings the ``yanpiao certificate`` command."""

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "yanpiao.certificates"
    label = "certificates"
    verbose_name = "Verification certificates"
