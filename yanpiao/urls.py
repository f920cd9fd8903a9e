"""Top-level URL routes: the web pages, the account pages, the API, the static files, and the error
pages (in the API's error shape under ``/api/``)."""

from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path

from yanpiao.api import errors as api_errors
from yanpiao.api.main import api
from yanpiao.web import errors as web_errors

urlpatterns = [
    path("api/v1/", api.urls),
    # The few static files (the API docs page's): served by the site itself, from the packages.
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
    path("", include("yanpiao.web.urls")),
    path("", include("yanpiao.accounts.urls")),
]


def _api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    return api_errors.response(400) if _api(request) else web_errors.bad_request(request, exception)


def permission_denied(request, exception=None):
    return api_errors.response(403) if _api(request) else web_errors.permission_denied(request, exception)


def page_not_found(request, exception=None):
    return api_errors.response(404) if _api(request) else web_errors.page_not_found(request, exception)


def server_error(request):
    return api_errors.response(500) if _api(request) else web_errors.server_error(request)


handler400 = "yanpiao.urls.bad_request"
handler403 = "yanpiao.urls.permission_denied"
handler404 = "yanpiao.urls.page_not_found"
handler500 = "yanpiao.urls.server_error"
