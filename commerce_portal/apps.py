from django.apps import AppConfig


class CommercePortalConfig(AppConfig):
    """The shell: registers the project-wide system checks."""

    name = "commerce_portal"
    verbose_name = "Commerce Portal"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
