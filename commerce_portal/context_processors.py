from django.conf import settings

from . import theme


def partner(request):
    return {
        "partner_name": settings.PARTNER_NAME,
        "theme_version": theme.version(),
        "sandbox_mode": settings.CODAT_SANDBOX_ENABLED,
        # templates/_support.html words these; both empty: "your POS provider".
        "support_email": settings.SUPPORT_EMAIL,
        "support_url": settings.SUPPORT_URL,
        # Linked beside "what is shared" on the selection page, when set.
        "privacy_url": settings.PRIVACY_URL,
        # How long a lock-out lasts (AXES_COOLOFF_TIME is in hours), for the page that says so.
        "lockout_minutes": round(float(settings.AXES_COOLOFF_TIME) * 60),
    }
