"""What makes the site installable on a phone: the web app manifest and the service worker (which caches the shell, never results)."""

urlpatterns = []
