"""Background work for merchants' logins (Django's Tasks framework through django-tasks)."""

from django_tasks import task

from .services import password_reset_email_send, sign_in_link_email_send


@task()
def send_password_reset_email(user_id: int, origin: str) -> int:
    return password_reset_email_send(user_id=user_id, origin=origin)


@task()
def send_sign_in_link_email(user_id: int, created_by_id: int | None, origin: str) -> int:
    return sign_in_link_email_send(user_id=user_id, created_by_id=created_by_id, origin=origin)
