from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join

from commerce_portal.admin import ReadOnlyAdmin

from . import logos, sync_flow_admin  # noqa: F401  (sync_flow_admin registers the Sync Flow settings pages)
from .codat import CodatError
from .models import ConnectionChange, Integration, LinkAttempt, SyncRequest, WebhookEvent
from .services.branding import branding_evict, branding_refresh
from .services.webhooks import webhook_reprocess
from .tasks import refresh_all_branding

REFRESH_PERMISSION = "integrations.refresh_branding"


@admin.register(LinkAttempt)
class LinkAttemptAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "merchant", "platform_name", "outcome", "failure_reason", "mints", "user", "assisted", "returned_at"]
    list_filter = ["outcome", "failure_reason", "platform_key", "assisted"]
    search_fields = ["merchant__name", "merchant__identifier", "correlation_id"]
    date_hierarchy = "started_at"
    list_select_related = ["merchant", "user"]


@admin.register(SyncRequest)
class SyncRequestAdmin(ReadOnlyAdmin):
    """Every sync staff asked Codat for, with Codat's answer: history, never edited."""

    list_display = ["requested_at", "merchant", "kind", "range_start", "range_finish", "requested_by", "outcome", "http_status", "sync_status_code", "sync_id", "correlation_id"]
    list_filter = ["kind", "outcome"]
    search_fields = ["merchant__name", "merchant__identifier", "sync_id", "correlation_id", "company_id"]
    date_hierarchy = "requested_at"
    list_select_related = ["merchant", "requested_by"]


@admin.register(ConnectionChange)
class ConnectionChangeAdmin(ReadOnlyAdmin):
    """Disconnects, switches and reconnects asked for in the portal: history, never edited."""

    list_display = ["at", "merchant", "action", "platform_name", "from_status", "to_status", "outcome", "user", "assisted", "correlation_id"]
    list_filter = ["action", "outcome", "assisted", "platform_key"]
    search_fields = ["merchant__name", "merchant__identifier", "connection_id", "correlation_id"]
    date_hierarchy = "at"
    list_select_related = ["merchant", "user"]


@admin.register(Integration)
class BrandingCacheAdmin(ReadOnlyAdmin):
    """The branding cache, for operators: see it, refresh it from Codat, evict it."""

    change_list_template = "admin/integrations/integration/change_list.html"
    list_display = ["thumbnails", "name", "key", "source_type", "enabled", "is_beta", "status", "branding_fetched_at", "branding_expires_at", "short_error"]
    list_filter = ["source_type", "enabled"]
    search_fields = ["key", "name"]
    actions = ["refresh_selected", "evict_selected"]
    readonly_fields = [f.name for f in Integration._meta.fields] + ["thumbnails"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("logos")

    @admin.display(description="Logos")
    def thumbnails(self, obj):
        return format_html_join(
            " ",
            '<img src="{}" alt="{}" height="32">',
            (
                (
                    reverse("integrations:logo", args=[logo.digest, logos.EXTENSIONS[logo.content_type]]),
                    logo.alt or f"{obj.name} {logo.variant} logo",
                )
                for logo in obj.logos.all()
            ),
        ) or "—"

    @admin.display(description="Status")
    def status(self, obj):
        if obj.branding_fetched_at is None:
            return "Failing" if obj.branding_error else "Not fetched"
        if obj.branding_expires_at and obj.branding_expires_at <= timezone.now():
            return "Stale"
        return "Fresh (with errors)" if obj.branding_error else "Fresh"

    @admin.display(description="Last error")
    def short_error(self, obj):
        return (obj.branding_error[:120] + "…") if len(obj.branding_error) > 120 else obj.branding_error

    @admin.action(description="Refresh from Codat now", permissions=["refresh"])
    def refresh_selected(self, request, queryset):
        refreshed, failed = 0, []
        for integration in queryset:
            try:
                refreshed += branding_refresh(integration.key, force=True)
            except CodatError as exc:
                failed.append(f"{integration.key}: {exc}")
        if refreshed:
            self.message_user(request, f"Refreshed branding for {refreshed} integration(s).", messages.SUCCESS)
        for failure in failed:
            self.message_user(request, f"Could not refresh {failure}", messages.ERROR)

    @admin.action(description="Evict", permissions=["refresh"])
    def evict_selected(self, request, queryset):
        for integration in queryset:
            branding_evict(integration.key)
        self.message_user(request, f"Evicted branding for {queryset.count()} integration(s).", messages.SUCCESS)

    def has_refresh_permission(self, request):
        return request.user.has_perm(REFRESH_PERMISSION)

    def get_urls(self):
        return [
            path("refresh-all/", self.admin_site.admin_view(self.refresh_all_view), name="integrations_integration_refresh_all"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": "Branding cache",
            **(extra_context or {}),
            "can_refresh": self.has_refresh_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def refresh_all_view(self, request):
        """The "Refresh all" button: the catalogue, then every integration's branding, on the task queue."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_refresh_permission(request):
            raise PermissionDenied
        refresh_all_branding.enqueue(force=True)
        self.message_user(
            request,
            "Refreshing the catalogue and every integration's branding in the background. "
            "Reload this page in a minute to see the result.",
            messages.INFO,
        )
        return redirect("admin:integrations_integration_changelist")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    """Codat's webhooks as received: what each did, and a way to run one again."""

    list_display = ["received_at", "event_type", "merchant", "state", "short_detail", "generated_at"]
    list_filter = ["state", "event_type"]
    search_fields = ["webhook_id", "company_id", "merchant__name", "merchant__identifier"]
    date_hierarchy = "received_at"
    list_select_related = ["merchant"]
    actions = ["reprocess"]

    @admin.display(description="Detail")
    def short_detail(self, obj):
        return (obj.detail[:100] + "…") if len(obj.detail) > 100 else obj.detail

    @admin.action(description="Reprocess (re-read the company from Codat)", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        count = webhook_reprocess(queryset)
        self.message_user(request, f"Queued {count} event(s) to be processed again.", messages.SUCCESS)

    def has_reprocess_permission(self, request):
        return request.user.has_perm("integrations.reprocess_webhookevent")
