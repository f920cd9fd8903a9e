"""Top-level URL routes: the web pages and the account pages, and the error pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("yanpiao.web.urls")),
    path("", include("yanpiao.accounts.urls")),
]

handler400 = "yanpiao.web.errors.bad_request"
handler403 = "yanpiao.web.errors.permission_denied"
handler404 = "yanpiao.web.errors.page_not_found"
handler500 = "yanpiao.web.errors.server_error"
