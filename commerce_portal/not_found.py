"""The designed 404 page in development too.

With DEBUG on (sandbox mode, what a newcomer runs), Django answers an unknown URL with
its technical "Page not found" listing every URL pattern. A newcomer, or a merchant in a
demo, should see the page production shows. Django's debug page for errors (500s) stays:
that is what a developer needs. With DEBUG off this does nothing: Django's own handler404
already renders templates/404.html.
"""

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.views.defaults import page_not_found


class DesignedNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exception:
                return page_not_found(request, exception)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
