# Companies gain Codat's fields; connections, configuration and syncs become state of their own.

import re
import uuid

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import codat_sandbox.models


def carry_over_started_companies(apps, schema_editor):
    """Name existing companies and turn their Sync Flow keys and link time into connections."""
    Company = apps.get_model("codat_sandbox", "SandboxCompany")
    Connection = apps.get_model("codat_sandbox", "SandboxConnection")
    Configuration = apps.get_model("codat_sandbox", "SandboxConfiguration")
    for company in Company.objects.all():
        company.name = re.sub(r"[^A-Za-z0-9\s\-',&@.,?!]", "", company.merchant_identifier or "").strip() or "Merchant"
        company.save(update_fields=["name"])
        linked = company.linked_at is not None
        for key in dict.fromkeys(key for key in (company.commerce_key, company.accounting_key) if key):
            Connection.objects.create(company=company, platform_key=key, status="Linked" if linked else "PendingAuth")
        Configuration.objects.create(
            company=company,
            configured=linked,
            enable=linked,
            accounting_software_company_name=company.name if linked else "",
        )


class Migration(migrations.Migration):

    dependencies = [
        ("codat_sandbox", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SandboxConfiguration",
            fields=[
                ("company", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="configuration", serialize=False, to="codat_sandbox.sandboxcompany")),
                ("enable", models.BooleanField(default=False)),
                ("configured", models.BooleanField(default=False)),
                ("accounting_software_company_name", models.CharField(blank=True, max_length=255)),
                ("selected_frequency", models.CharField(choices=[("Daily", "Daily"), ("Monthly", "Monthly")], default="Daily", max_length=8)),
                ("sync_hour", models.PositiveSmallIntegerField(default=2)),
                ("time_zone", models.CharField(default="Europe/London", max_length=64)),
                ("start_date", models.DateTimeField(default=codat_sandbox.models._today_utc)),
            ],
        ),
        migrations.CreateModel(
            name="SandboxConnection",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, primary_key=True, serialize=False)),
                ("platform_key", models.CharField(max_length=16)),
                ("status", models.CharField(choices=[("PendingAuth", "Pending Auth"), ("Linked", "Linked"), ("Unlinked", "Unlinked"), ("Deauthorized", "Deauthorized")], default="PendingAuth", max_length=16)),
                ("created", models.DateTimeField(auto_now_add=True)),
                ("last_sync", models.DateTimeField(blank=True, null=True)),
                ("errors", models.JSONField(blank=True, default=list)),
                ("company", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="connections", to="codat_sandbox.sandboxcompany")),
            ],
            options={
                "ordering": ["created", "id"],
                "constraints": [models.UniqueConstraint(fields=("company", "platform_key"), name="one_connection_per_platform")],
            },
        ),
        migrations.CreateModel(
            name="SandboxSync",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sync_id", models.UUIDField(default=uuid.uuid4, unique=True)),
                ("status_code", models.PositiveSmallIntegerField()),
                ("status", models.CharField(max_length=32)),
                ("error_message", models.TextField(blank=True)),
                ("exception_message", models.TextField(blank=True)),
                ("data_pushed", models.BooleanField(default=False)),
                ("sync_utc", models.DateTimeField(default=django.utils.timezone.now)),
                ("company", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="syncs", to="codat_sandbox.sandboxcompany")),
            ],
            options={
                "ordering": ["-sync_utc", "-id"],
            },
        ),
        migrations.AddField(
            model_name="sandboxcompany",
            name="name",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sandboxcompany",
            name="description",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="sandboxcompany",
            name="tags",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="sandboxcompany",
            name="tenant_name",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(carry_over_started_companies, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="sandboxcompany",
            name="accounting_key",
        ),
        migrations.RemoveField(
            model_name="sandboxcompany",
            name="commerce_key",
        ),
        migrations.RemoveField(
            model_name="sandboxcompany",
            name="linked_at",
        ),
        migrations.AlterField(
            model_name="sandboxcompany",
            name="merchant_identifier",
            field=models.CharField(blank=True, max_length=255, null=True, unique=True),
        ),
        migrations.AlterModelOptions(
            name="sandboxcompany",
            options={"ordering": ["created", "id"], "verbose_name_plural": "sandbox companies"},
        ),
    ]
