"""What makes the site installable on a phone: the web app manifest and the service worker (which caches the shell, never results).

The worker is served from the site's root (``/sw.js``, with ``Service-Worker-Allowed: /``) so
that its scope is the whole site; its source is the static file ``web/sw.js``.  The page it
shows when the network is gone is :func:`offline`.
"""

from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import path
from django.views.decorators.http import require_safe

THEME_COLOUR = "#b71c1c"
BACKGROUND_COLOUR = "#ffffff"
# (static file, size, purpose) of the app icons, drawn by docs/scripts/make_icons.py.
ICONS = (
    ("web/icon-192.png", "192x192", "any"),
    ("web/icon-512.png", "512x512", "any"),
    ("web/icon-maskable-512.png", "512x512", "maskable"),
)
WORKER = "web/sw.js"


@require_safe
def manifest(request):
    """The web app manifest: the name, colours and icons of the installed app."""
    data = {
        "name": "验票 Yanpiao",
        "short_name": "验票",
        "description": "发票真伪查验",
        "lang": "zh-Hans",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@require_safe
def service_worker(request):
    """The service worker's source, served at the root so that it may control every page."""
    with open(finders.find(WORKER), encoding="utf-8") as source:
        response = HttpResponse(source.read(), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def offline(request):
    """What the service worker shows instead of a page when the network is gone."""
    return render(request, "web/offline.html")


urlpatterns = [
    path("manifest.webmanifest", manifest, name="manifest"),
    path("sw.js", service_worker, name="service_worker"),
    path("offline/", offline, name="offline"),
]
