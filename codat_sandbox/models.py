"""The sandbox's state, in the database so that every worker and process shares it."""

import uuid
from datetime import datetime, time, timezone as dt_timezone

from django.db import models
from django.utils import timezone


class SandboxCompany(models.Model):
    """A Codat company: created through create-company, or by a Sync Flow start for a new merchant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=dict, blank=True)
    # Only for companies a Sync Flow start created for a merchantIdentifier that is not a company id.
    merchant_identifier = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Scripted by controls: the accounting tenant name Finish reports; empty means the company's name.
    tenant_name = models.CharField(max_length=255, blank=True)
    # Scripted by controls: how the syncs requested from now on end, in Codat's names
    # ({statusCode, errorMessage, syncExceptionMessage, dataPushed, completeAfterSeconds}).
    sync_script = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "sandbox companies"
        ordering = ["created", "id"]

    def __str__(self):
        return self.name


class SandboxConnection(models.Model):
    """A company's connection to one platform; the platform's ids and names come from data.PLATFORMS."""

    class Status(models.TextChoices):
        PENDING_AUTH = "PendingAuth"
        LINKED = "Linked"
        UNLINKED = "Unlinked"
        DEAUTHORIZED = "Deauthorized"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="connections")
    platform_key = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_AUTH)
    created = models.DateTimeField(auto_now_add=True)
    last_sync = models.DateTimeField(null=True, blank=True)
    # dataConnectionErrors, kept in Codat's own shape.
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "platform_key"], name="one_connection_per_platform")
        ]


def _today_utc() -> datetime:
    return datetime.combine(timezone.now().date(), time(), tzinfo=dt_timezone.utc)


class SandboxConfiguration(models.Model):
    """A company's Sync for Commerce configuration: what get-configuration answers."""

    class Frequency(models.TextChoices):
        DAILY = "Daily"
        MONTHLY = "Monthly"

    company = models.OneToOneField(
        SandboxCompany, on_delete=models.CASCADE, primary_key=True, related_name="configuration"
    )
    enable = models.BooleanField(default=False)
    configured = models.BooleanField(default=False)
    accounting_software_company_name = models.CharField(max_length=255, blank=True)
    selected_frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    sync_hour = models.PositiveSmallIntegerField(default=2)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    start_date = models.DateTimeField(default=_today_utc)


class SandboxSync(models.Model):
    """One Sync for Commerce run: scripted by controls, or requested through the API; the newest is the latest."""

    class Kind(models.TextChoices):
        SCRIPTED = "scripted"  # pushed by a control, already finished
        LATEST = "latest"  # request-sync
        HISTORIC = "historic"  # request-sync-for-date-range

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="syncs")
    sync_id = models.UUIDField(default=uuid.uuid4, unique=True)
    status_code = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=32)
    error_message = models.TextField(blank=True)
    exception_message = models.TextField(blank=True)
    data_pushed = models.BooleanField(default=False)
    sync_utc = models.DateTimeField(default=timezone.now)
    # What was requested, for syncs requested through the API (the record of date-range requests).
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SCRIPTED)
    requested_at = models.DateTimeField(null=True, blank=True)
    sync_to = models.DateTimeField(null=True, blank=True, help_text="request-sync's syncTo, if sent.")
    range_start = models.DateTimeField(null=True, blank=True)
    range_finish = models.DateTimeField(null=True, blank=True)
    # An in-progress run ends when a control says so, or on the first read after this time.
    complete_at = models.DateTimeField(null=True, blank=True)
    # How it ends: the company's sync_script when it was requested (empty: 2000).
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-sync_utc", "-id"]


class SyncFlowCode(models.Model):
    """A single-use Sync Flow code. Only its hash is kept."""

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    commerce_key = models.CharField(max_length=16)
    accounting_key = models.CharField(max_length=16)
    redirect_url = models.TextField(blank=True)
    issued_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when the code is accepted: lets that one browser submit the page once.
    finish_token_hash = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)


class Fault(models.Model):
    """A deterministic misbehaviour for the next matching call(s)."""

    operation = models.CharField(
        max_length=64, help_text="An operationId, 'branding-image', or '*' for every call."
    )
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    retry_after = models.CharField(max_length=64, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    code_age = models.FloatField(null=True, blank=True, help_text="Seconds a minted code is already old.")
    body = models.TextField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body_size = models.PositiveIntegerField(null=True, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: every call.")

    class Meta:
        ordering = ["id"]


class Call(models.Model):
    """Every call the sandbox answered, for tests and benchmarks to count."""

    operation = models.CharField(max_length=64, db_index=True)
    status = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=500)
    at = models.DateTimeField(auto_now_add=True)


class SandboxWebhookMessage(models.Model):
    """A webhook the sandbox sent (or tried to): Codat's ConnectionWebhook, signed as Svix signs.

    Kept so tests and demos can list messages and redeliver one: the same webhook-id,
    a new timestamp and signature, as Codat's retries and replays do.
    """

    id = models.CharField(primary_key=True, max_length=40)  # the webhook-id header, "msg_…"
    event_type = models.CharField(max_length=64)
    company = models.ForeignKey(SandboxCompany, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(help_text="The exact bytes signed and sent.")
    target = models.CharField(max_length=500, blank=True, help_text="Where it is delivered; empty: nowhere known.")
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.CharField(max_length=100, blank=True, help_text="HTTP status, or why delivery failed.")

    class Meta:
        ordering = ["created"]


class SandboxSyncFlowText(models.Model):
    """A Sync Flow text set through update-config-text-sync-flow; no row: the default text."""

    locale = models.CharField(max_length=8)
    key = models.CharField(max_length=200)
    text = models.TextField(blank=True)  # "": the Sync Flow shows nothing

    class Meta:
        constraints = [models.UniqueConstraint(fields=["locale", "key"], name="one_text_per_locale_and_key")]


class SandboxVisibleAccounts(models.Model):
    """The account types shown for one commerce platform; no row: Codat's default, all of them."""

    platform_key = models.CharField(max_length=16, primary_key=True)
    accounts = models.JSONField(default=list, blank=True)  # besides the required ones, always shown
