"""The permission to disconnect or switch a merchant's connection, granted to the "POS staff" group.

Self-contained: it creates the permission if post_migrate has not yet (as 0002 does for its own),
and reversing takes it from the group only. Values are literals, not imports: a migration must keep
meaning what it meant. Merchants' logins never get it (and are refused every staff page anyway).
"""

from django.db import migrations

GROUP = "POS staff"
CODENAME = "change_merchant_connection"
NAME = "Can disconnect or switch a merchant's connection"


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.using(db).get_or_create(app_label="staff", model="staffpermissions")
    permission, _ = Permission.objects.using(db).get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.using(db).filter(content_type__app_label="staff", codename=CODENAME).first()
    group = Group.objects.using(db).filter(name=GROUP).first()
    if permission is not None and group is not None:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_request_sync"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffpermissions",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_merchant_status", "Can see merchants and where they stand with linking"),
                    ("onboard_merchant", "Can onboard merchants and issue sign-in links"),
                    ("assist_linking", "Can link a platform on a merchant's behalf"),
                    ("request_sync", "Can ask Codat to sync a merchant now or for a date range"),
                    ("change_merchant_connection", "Can disconnect or switch a merchant's connection"),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
