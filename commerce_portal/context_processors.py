from django.conf import settings

from . import theme


def partner(request):
    return {
        "partner_name": settings.PARTNER_NAME,
        "theme_version": theme.version(),
        "sandbox_mode": settings.CODAT_SANDBOX_ENABLED,
    }
