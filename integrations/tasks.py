"""Background work, on Django's Tasks framework through the django-tasks backport.

Moving to Django 6 is an import change: ``from django.tasks import task``.
The database backend (django-tasks-db) queues them; ``manage.py db_worker`` runs them.
"""

from django_tasks import task

from .services.refresh_all import branding_refresh_all
from .services.webhooks import webhook_process


@task()
def process_webhook_event(event_id: int) -> str:
    return webhook_process(event_id)


@task()
def refresh_all_branding(force: bool = True) -> dict:
    return branding_refresh_all(force=force).as_dict()
