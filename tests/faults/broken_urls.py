"""The site's pages, and two more whose query goes to a database that cannot be reached."""

from django.db import connections
from django.http import HttpResponse
from django.urls import include, path


def unreachable_query(request):
    """A query on a connection to the test database's server at a closed port (SQLite: a file in
    a folder that does not exist), as it fails while the database is down."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict = {
        **wrapper.settings_dict,
        "NAME": "/nonexistent-yanpiao-folder/yanpiao.sqlite3",
        "HOST": "127.0.0.1",
        "PORT": "1",
    }
    if wrapper.vendor == "postgresql":
        wrapper.settings_dict["NAME"] = "yanpiao"
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        wrapper.close()
    return HttpResponse("reached")


urlpatterns = [
    path("broken/", unreachable_query),
    path("api/v1/broken", unreachable_query),
    path("", include("yanpiao.urls")),
]
