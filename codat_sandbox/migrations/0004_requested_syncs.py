# Syncs can be requested through the API (request-sync, request-sync-for-date-range) and
# end later; companies script how their requested syncs end.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("codat_sandbox", "0003_webhook_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="sandboxcompany",
            name="sync_script",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="kind",
            field=models.CharField(
                choices=[("scripted", "Scripted"), ("latest", "Latest"), ("historic", "Historic")],
                default="scripted",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="requested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="sync_to",
            field=models.DateTimeField(blank=True, help_text="request-sync's syncTo, if sent.", null=True),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="range_start",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="range_finish",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="complete_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sandboxsync",
            name="outcome",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
