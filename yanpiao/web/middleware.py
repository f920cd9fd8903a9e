"""The web's answer to the access layer's refusals: :class:`~yanpiao.access.visibility.NotVisible`
becomes the 404 page, the same as for an id that does not exist."""

from django.http import Http404

from yanpiao.access.visibility import NotVisible


class NotVisibleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotVisible):
            raise Http404(str(exception)) from exception
        return None
