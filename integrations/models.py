"""Codat's catalogue and branding as cached here, and the record of every link attempt."""

from django.conf import settings
from django.db import models


class Integration(models.Model):
    """One entry of Codat's catalogue, with its cached branding.

    The database is the source of truth for every worker and instance;
    ``lease_until`` makes sure only one of them refreshes an entry at a time.
    """

    key = models.CharField(primary_key=True, max_length=16)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=False)
    is_beta = models.BooleanField(default=False)
    source_type = models.CharField(max_length=32, blank=True)
    listed_at = models.DateTimeField(help_text="When Codat's catalogue last listed it.")

    branding = models.JSONField(null=True, blank=True, help_text="Codat's branding document.")
    branding_fetched_at = models.DateTimeField(null=True, blank=True)
    branding_expires_at = models.DateTimeField(null=True, blank=True)
    branding_error = models.TextField(blank=True)
    branding_error_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("refresh_branding", "Can refresh or evict cached branding")]

    def __str__(self):
        return f"{self.name} ({self.key})"


class Logo(models.Model):
    class Variant(models.TextChoices):
        FULL = "full"
        SQUARE = "square"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="logos")
    variant = models.CharField(max_length=8, choices=Variant.choices)
    digest = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the bytes.")
    content_type = models.CharField(max_length=32)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    alt = models.CharField(max_length=300, blank=True)
    source_url = models.URLField(max_length=1000)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "variant"], name="one_logo_per_variant")
        ]

    def __str__(self):
        return f"{self.integration_id} {self.variant}"


class CatalogueState(models.Model):
    """The one row saying when Codat's catalogue was last fetched."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    fetched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)


class LinkAttempt(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "In progress"
        REDIRECTED = "redirected", "Redirected"
        REDIRECTED_AFTER_REMINT = "redirected_after_remint", "Redirected after a second mint"
        FAILED = "failed", "Failed"

    class Reason(models.TextChoices):
        STALE_CODE = "stale_code", "Codat answered too slowly: codes were stale"
        TIMEOUT = "timeout", "Codat timed out"
        UNREACHABLE = "unreachable", "Codat could not be reached"
        RATE_LIMITED = "rate_limited", "Codat rate limit"
        UPSTREAM_ERROR = "upstream_error", "Codat error (5xx)"
        REJECTED = "rejected", "Codat refused the request (4xx)"
        BAD_RESPONSE = "bad_response", "Codat's answer was unusable"
        UNTRUSTED_HOST = "untrusted_host", "Sync Flow URL on a host we do not trust"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="link_attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assisted = models.BooleanField(default=False, help_text="Started by staff for the merchant.")
    platform_key = models.CharField(max_length=16)
    platform_name = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices, default=Outcome.PENDING)
    failure_reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    correlation_id = models.CharField(max_length=100, blank=True)
    mints = models.PositiveSmallIntegerField(default=0)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["merchant", "-started_at"])]

    def __str__(self):
        return f"{self.merchant} → {self.platform_key} ({self.outcome})"


class CompanyBinding(models.Model):
    """A merchant's Codat company: created by us on its first link start, then its merchantIdentifier.

    Exactly one per merchant: the row is the lock (a lease taken by conditional UPDATE),
    so concurrent first clicks, in any process or instance, create one company.
    """

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, primary_key=True, related_name="codat_company"
    )
    company_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    bound_at = models.DateTimeField(null=True, blank=True)
    # Set before asking Codat to create the company: if that call's answer is lost, the next
    # attempt looks for the company Codat may have made before creating another.
    create_requested_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.merchant_id} → {self.company_id or 'unbound'}"


class ConnectionSnapshot(models.Model):
    """What Codat last said about a merchant's company, for pages to read without calling Codat.

    Refreshed like the branding cache: stale rows are served while one background
    refresh runs; with Codat down the last answer is served with its "as of" time.
    ``state`` and ``status`` are derived from the rest at each refresh, so that
    lists can filter and sort on them in SQL.
    """

    class Status(models.TextChoices):
        """Where a merchant stands, as staff see it, in the order they progress."""

        NEVER_STARTED = "never_started", "Never started"
        NOT_FINISHED = "not_finished", "Not finished"
        DISCONNECTED = "disconnected", "Disconnected"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"
        LINKED = "linked", "Linked"

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, primary_key=True, related_name="connection_snapshot"
    )
    company_id = models.CharField(max_length=64)
    # Codat's own shapes (the client's to_json), so a snapshot reads back through the client's parsers.
    connections = models.JSONField(default=list, blank=True)
    configuration = models.JSONField(null=True, blank=True)
    latest_sync = models.JSONField(null=True, blank=True)
    last_successful_sync = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_FINISHED)
    platform_key = models.CharField(max_length=16, blank=True)
    platform_name = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set when a webhook told us the connection broke (the merchant was emailed and sees a
    # banner); cleared when it is connected again.
    alert = models.CharField(max_length=64, blank=True)
    alert_at = models.DateTimeField(null=True, blank=True)
    # Held while a disconnect or switch is asking Codat: a double submit makes one call, not two.
    # Apart from lease_until, so that a background refresh never blocks a merchant's change.
    change_lease_until = models.DateTimeField(null=True, blank=True)
    # When such a change last wrote Codat's answer here: a refresh that began before it may have
    # read Codat before the change, so its result is dropped (the refresh after the change writes).
    changed_at = models.DateTimeField(null=True, blank=True)
    # The accounting tenant first seen linked on this platform (accountingSoftwareCompanyName):
    # a relink that comes back with another one is pointed out to the merchant.
    first_tenant_name = models.CharField(max_length=255, blank=True)
    first_tenant_platform_key = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.merchant_id}: {self.state or 'never fetched'}"


class WebhookEvent(models.Model):
    """A message Codat delivered to /webhooks/codat/, stored before it is processed.

    ``webhook_id`` (the Svix message id) stays the same across Codat's retries: the unique
    constraint makes a redelivery a no-op. The payload's statuses are never trusted;
    processing re-reads the company from Codat.
    """

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    webhook_id = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(max_length=64, db_index=True)
    company_id = models.CharField(max_length=64, blank=True, db_index=True)
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_events"
    )
    generated_at = models.DateTimeField(null=True, blank=True, help_text="When Codat generated it.")
    received_at = models.DateTimeField(db_index=True)
    body = models.JSONField()
    # Where Codat delivered it (our public origin): the base of links in emails.
    origin = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    detail = models.TextField(blank=True, help_text="Why it was ignored or failed, or what it did.")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        permissions = [("reprocess_webhookevent", "Can reprocess webhook events")]

    def __str__(self):
        return f"{self.event_type} {self.webhook_id}"


class ConnectionChange(models.Model):
    """A disconnect, switch or reconnect asked for in the portal: who, when, for whom, from what to what.

    A disconnect or switch is recorded *before* Codat is asked (outcome pending), so a request that
    dies mid-call still leaves its trace; it then becomes done or failed, with Codat's correlation id
    or the error. A reconnect is recorded when it starts, with its link attempt: whether it ends
    Linked is decided on Codat's pages (the snapshot, and the next change, say).
    """

    class Action(models.TextChoices):
        DISCONNECT = "disconnect", "Disconnect"
        SWITCH = "switch", "Switch platform"
        RECONNECT = "reconnect", "Reconnect"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Asking Codat"
        DONE = "done", "Done"
        STARTED = "started", "Sent to Codat’s pages"
        FAILED = "failed", "Failed"

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="connection_changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assisted = models.BooleanField(default=False, help_text="Done by staff on the merchant's behalf.")
    action = models.CharField(max_length=16, choices=Action.choices)
    platform_key = models.CharField(max_length=16)
    platform_name = models.CharField(max_length=200)
    connection_id = models.CharField(max_length=64, help_text="Codat's id of the connection changed.")
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32, blank=True, help_text="Empty: not (yet) known.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    correlation_id = models.CharField(max_length=100, blank=True, help_text="Codat's, when it answered an error.")
    error = models.TextField(blank=True)
    link_attempt = models.ForeignKey(
        LinkAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="connection_changes"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["merchant", "-at"]), models.Index(fields=["connection_id", "-at"])]

    def __str__(self):
        return f"{self.merchant} {self.action} {self.platform_key} ({self.outcome})"
