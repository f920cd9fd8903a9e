"""Top-level URL routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("yanpiao.web.urls")),
    path("accounts/", include("yanpiao.accounts.urls")),
    path("", include("yanpiao.accounts.security_urls")),
]
