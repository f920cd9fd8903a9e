"""Top-level URL routes: the web pages and the account pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("yanpiao.web.urls")),
    path("", include("yanpiao.accounts.urls")),
]
