"""The shell's own pages."""

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import theme


@require_safe
def theme_css(request, version: str):
    css = theme.css()
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    if version == theme.version():
        patch_cache_control(response, public=True, max_age=31536000, immutable=True)
    return response
