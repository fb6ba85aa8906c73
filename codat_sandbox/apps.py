from django.apps import AppConfig


class CodatSandboxConfig(AppConfig):
    name = "codat_sandbox"
    verbose_name = "Codat sandbox"
    default_auto_field = "django.db.models.BigAutoField"
