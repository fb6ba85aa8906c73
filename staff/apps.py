from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "POS staff"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .list_cache import connect_signals

        connect_signals()
