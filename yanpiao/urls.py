"""Top-level URL routes: the web pages, the account pages, the API, the static files, and the error
pages (``yanpiao.api.errors.ErrorShapeMiddleware`` gives those under ``/api/`` the API's shape)."""

from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path

from yanpiao.api.main import api
from yanpiao.observability import views as observability

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the header's language switch
    # The few static files (the API docs page's): served by the site itself, from the packages.
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
    # Monitoring (yanpiao.observability.views): before the web pages, whose /healthz this one replaces.
    path("metrics", observability.metrics_view, name="metrics"),
    path("healthz", observability.healthz, name="healthz"),
    path("readyz", observability.readyz, name="readyz"),
    path("", include("yanpiao.web.urls")),
    path("", include("yanpiao.accounts.urls")),
]

handler400 = "yanpiao.web.errors.bad_request"
handler403 = "yanpiao.web.errors.permission_denied"
handler404 = "yanpiao.web.errors.page_not_found"
handler500 = "yanpiao.web.errors.server_error"
