from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"


    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .login_cache import connect_signals
        from .models import CompanyBinding, ConnectionSnapshot

        connect_signals([CompanyBinding, ConnectionSnapshot])
