"""Pages: thin adapters over the services."""

from django.http import JsonResponse


def home(request):
    return JsonResponse({})


def healthz(request):
    return JsonResponse({"status": "ok"})
