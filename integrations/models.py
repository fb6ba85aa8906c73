"""Codat's catalogue and branding as cached here, the record of every link attempt, and of every
change operators make to the Sync Flow's settings."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .changes import AttemptQuerySet, MerchantStateQuerySet


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
        # One row per platform; operators know the whole as the branding cache (admin index, breadcrumbs).
        verbose_name = "branding cache entry"
        verbose_name_plural = "Branding cache"
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
        UNEXPECTED = "unexpected", "Unexpected error in the portal"
        ABANDONED = "abandoned", "Abandoned: the worker stopped before it finished"
        BUSY = "busy", "Too many hand-offs waiting on Codat: refused at once"

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

    objects = AttemptQuerySet.as_manager()  # its UPDATEs tell staff's merchant list (changes.py)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["merchant", "-started_at"])]

    def __str__(self):
        return f"{self.merchant} → {self.platform_key} ({self.outcome})"


class RateLimitWindow(models.Model):
    """One counting window of a rate limit (services/rate_limits.py): its start and how many so far.

    In the database, not the cache: the default cache is each process's own memory, and a
    limit counted there allows its value once per worker. Conditional UPDATEs make it exact.
    One row per key (a merchant, or a staff member for a merchant), reused window after window.
    """

    key = models.CharField(primary_key=True, max_length=100)
    started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)


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

    objects = MerchantStateQuerySet.as_manager()  # its UPDATEs tell the caches (changes.py)

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
    # list-syncs, newest first, at most SYNCS_KEPT: the history staff read.
    syncs = models.JSONField(default=list, blank=True)
    # The latest sync's code and time as columns, so that lists filter and sort on them in SQL.
    last_sync_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
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

    SYNCS_KEPT = 30

    objects = MerchantStateQuerySet.as_manager()  # its UPDATEs tell the caches (changes.py)

    class Meta:
        indexes = [models.Index(fields=["status"]), models.Index(fields=["state"])]

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


class SyncRequest(models.Model):
    """A sync staff asked Codat for (request-sync or request-sync-for-date-range): who, when, what,
    and Codat's answer or the error. Written before the call, so a call that never came back
    still shows.

    ``token`` is the form's one-time token: a second submit of the same form finds it taken and
    sends nothing. At most one request per merchant is being sent at any moment (a partial
    unique index), so two staff pressing at once also make one call.
    """

    class Kind(models.TextChoices):
        LATEST = "latest", "Sync now"
        DATE_RANGE = "date_range", "Sync a date range"

    class Outcome(models.TextChoices):
        SENDING = "sending", "Sending"
        ACCEPTED = "accepted", "Accepted by Codat"
        FAILED = "failed", "Failed"

    token = models.UUIDField(unique=True, editable=False)
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="sync_requests")
    company_id = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    range_start = models.DateTimeField(null=True, blank=True)
    range_finish = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SENDING)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    sync_id = models.CharField(max_length=64, blank=True, help_text="Codat's commerceSyncId.")
    sync_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    correlation_id = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    answer = models.JSONField(null=True, blank=True, help_text="Codat's SyncSummary, or its error body.")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "-requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"], condition=models.Q(outcome="sending"), name="one_sync_request_sending"
            )
        ]

    def __str__(self):
        return f"{self.merchant} {self.get_kind_display()} ({self.get_outcome_display()})"


class SyncFlowChange(models.Model):
    """One change an operator made to the Sync Flow's settings, which apply to every merchant.

    The settings themselves live at Codat (read live by the admin pages); this is who changed
    what, when, from what to what: a text of one locale, or the visible accounts of one platform.
    ``before`` and ``after`` are what Codat answered before and after the change: a text (a
    string, "" for nothing, or null), or a list of account keys.
    """

    class Setting(models.TextChoices):
        TEXT = "text", "Text"
        VISIBLE_ACCOUNTS = "visible_accounts", "Visible accounts"

    class Action(models.TextChoices):
        SET = "set", "Set"
        SHOW_NOTHING = "show_nothing", "Show nothing"
        RESET = "reset", "Reset to default"

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150, help_text="Who made it, kept if the login is deleted.")
    setting = models.CharField(max_length=16, choices=Setting.choices)
    locale = models.CharField(max_length=8, blank=True, help_text="Texts: the locale changed.")
    platform_key = models.CharField(max_length=16, blank=True, help_text="Visible accounts: the commerce platform.")
    key = models.CharField(max_length=200, blank=True, help_text="Texts: the text's key.")
    action = models.CharField(max_length=16, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = "Sync Flow change"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["setting", "locale", "-at"]),
            models.Index(fields=["setting", "platform_key", "-at"]),
        ]
        permissions = [("change_sync_flow_settings", "Can change the Sync Flow's texts and visible accounts")]

    def __str__(self):
        where = self.locale or self.platform_key
        return f"{self.get_setting_display()} {where} {self.key}".strip() + f" ({self.get_action_display()})"


class SyncFlowText(SyncFlowChange):
    """The admin's "Sync Flow texts" page: the texts live at Codat, so there is no table of its own."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "Sync Flow texts"


class SyncFlowVisibleAccounts(SyncFlowChange):
    """The admin's "Sync Flow visible accounts" page: the settings live at Codat."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "Sync Flow visible accounts"


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
