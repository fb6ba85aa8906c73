"""One login per email address, whatever its case, enforced by the database.

Onboarding checks first, but two concurrent onboardings both pass the check: only a unique
index stops the second insert. Django's auth table cannot take a constraint from a model Meta
here, so this migration adds a partial unique index on lower(email) (PostgreSQL and SQLite both
support it); logins without an email (empty) are not constrained.
"""

from django.conf import settings
from django.db import migrations

INDEX = "auth_user_email_ci_unique"


def _table(apps):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    return apps.get_model(app_label, model_name)._meta.db_table


def create_index(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE UNIQUE INDEX {quote(INDEX)} ON {quote(_table(apps))} (LOWER({quote('email')})) WHERE {quote('email')} <> ''"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
