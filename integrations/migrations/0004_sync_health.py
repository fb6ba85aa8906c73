# Sync health: the last syncs in each connection snapshot (with the latest's code and time as
# columns), and the record of every sync staff request from Codat.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_last_sync_columns(apps, schema_editor):
    """Snapshots refreshed before this migration: the latest sync's code and time from its JSON."""
    from datetime import datetime, timezone

    Snapshot = apps.get_model("integrations", "ConnectionSnapshot")
    for snapshot in Snapshot.objects.filter(latest_sync__isnull=False).only("pk", "latest_sync"):
        latest = snapshot.latest_sync if isinstance(snapshot.latest_sync, dict) else {}
        code = latest.get("syncStatusCode")
        try:
            when = datetime.fromisoformat(latest.get("syncUtc") or "")
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        Snapshot.objects.filter(pk=snapshot.pk).update(
            last_sync_code=code if isinstance(code, int) and 0 <= code < 32768 else None,
            last_sync_at=when,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0003_webhook_events"),
        ("merchants", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="connectionsnapshot",
            name="syncs",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="connectionsnapshot",
            name="last_sync_code",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="connectionsnapshot",
            name="last_sync_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="connectionsnapshot",
            index=models.Index(fields=["state"], name="integration_state_a05755_idx"),
        ),
        migrations.RunPython(fill_last_sync_columns, migrations.RunPython.noop),
        migrations.CreateModel(
            name="SyncRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.UUIDField(editable=False, unique=True)),
                ("company_id", models.CharField(max_length=64)),
                ("kind", models.CharField(choices=[("latest", "Sync now"), ("date_range", "Sync a date range")], max_length=16)),
                ("range_start", models.DateTimeField(blank=True, null=True)),
                ("range_finish", models.DateTimeField(blank=True, null=True)),
                ("requested_at", models.DateTimeField()),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("outcome", models.CharField(choices=[("sending", "Sending"), ("accepted", "Accepted by Codat"), ("failed", "Failed")], default="sending", max_length=16)),
                ("http_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("sync_id", models.CharField(blank=True, help_text="Codat's commerceSyncId.", max_length=64)),
                ("sync_status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("correlation_id", models.CharField(blank=True, max_length=100)),
                ("error", models.TextField(blank=True)),
                ("answer", models.JSONField(blank=True, help_text="Codat's SyncSummary, or its error body.", null=True)),
                ("merchant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sync_requests", to="merchants.merchant")),
                ("requested_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-requested_at", "-pk"],
                "indexes": [models.Index(fields=["merchant", "-requested_at"], name="integration_merchan_ba83d2_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("outcome", "sending")), fields=("merchant",), name="one_sync_request_sending"
                    )
                ],
            },
        ),
    ]
