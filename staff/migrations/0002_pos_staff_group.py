"""The "POS staff" group and its permissions. Idempotent; reversing removes the group only.

Permissions are normally created after all migrations run (post_migrate), so
the ones the group needs are created here if they do not exist yet. Values are
literals, not imports: a migration must keep meaning what it meant.
"""

from django.db import migrations

GROUP = "POS staff"
PERMISSIONS = {
    ("staff", "staffpermissions"): [
        ("view_merchant_status", "Can see merchants and where they stand with linking"),
        ("onboard_merchant", "Can onboard merchants and issue sign-in links"),
        ("assist_linking", "Can link a platform on a merchant's behalf"),
    ],
    ("merchants", "merchant"): [("view_merchant", "Can view merchant")],
    ("integrations", "linkattempt"): [("view_linkattempt", "Can view link attempt")],
}


def create_group(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    for (app_label, model), permissions in PERMISSIONS.items():
        content_type, _ = ContentType.objects.using(db).get_or_create(app_label=app_label, model=model)
        for codename, name in permissions:
            permission, _ = Permission.objects.using(db).get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            group.permissions.add(permission)


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("merchants", "0001_initial"),
        ("integrations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
