from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"


    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from . import changes, login_cache
        from .models import CompanyBinding, ConnectionSnapshot, LinkAttempt

        changes.connect_signals(state=[CompanyBinding, ConnectionSnapshot], history=[LinkAttempt])
        login_cache.connect_signals()
