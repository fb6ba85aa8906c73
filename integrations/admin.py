import re

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django_tasks.exceptions import TaskResultDoesNotExist

from commerce_portal.admin import ReadOnlyAdmin

from . import logos, sync_flow_admin  # noqa: F401  (sync_flow_admin registers the Sync Flow settings pages)
from .codat import CodatError
from .models import ConnectionChange, Integration, LinkAttempt, SyncRequest, WebhookEvent
from .services.branding import branding_evict, branding_refresh
from .services.webhooks import webhook_reprocess
from .tasks import refresh_all_branding

REFRESH_PERMISSION = "integrations.refresh_branding"
ERROR_CHARS = 60  # in the list; the entry's page has the whole message
REFRESH_ALL_SESSION_KEY = "integrations:refresh_all_task"


def _when(moment, *, short: bool = False) -> str:
    return date_format(timezone.localtime(moment), "j M, H:i" if short else "j M Y, H:i T")


def branding_status(obj, *, error_chars: int | None = None) -> str:
    """What merchants are shown for this platform now, and why a refresh failed, in one sentence."""
    error, short = obj.branding_error, bool(error_chars)
    if short:
        error = re.sub(r"^Codat [\w-]+ failed with ", "", error)  # the list says which call; the page has it all
        if len(error) > error_chars:
            error = error[: error_chars - 1] + "…"
    failed = (
        f"last refresh failed {_when(obj.branding_error_at, short=short)}: {error}"
        if obj.branding_error and obj.branding_error_at
        else ""
    )
    if obj.branding_fetched_at is None:
        return f"No copy (monogram shown); {failed}" if failed else "Not fetched yet (monogram shown)"
    if failed and obj.branding_error_at >= obj.branding_fetched_at:
        return f"Serving the copy from {_when(obj.branding_fetched_at, short=short)}; {failed}"
    stale = obj.branding_expires_at and obj.branding_expires_at <= timezone.now()
    state = f"Stale (fetched {_when(obj.branding_fetched_at, short=short)})" if stale else "Fresh"
    # An error recorded with the fetch itself: the branding came, a logo did not.
    return f"{state}; {error}" if obj.branding_error else state


@admin.register(LinkAttempt)
class LinkAttemptAdmin(ReadOnlyAdmin):
    # Narrow enough for 1280 px: platform names (not keys), Codat's correlation id to quote to Codat;
    # the rest (mints, user, return time) on the detail page.
    list_display = ["started_at", "merchant_name", "platform", "result", "correlation_id", "by_staff"]
    list_filter = ["outcome", "failure_reason", "platform_name", "assisted"]
    search_fields = ["merchant__name", "merchant__identifier", "correlation_id"]
    date_hierarchy = "started_at"
    list_select_related = ["merchant", "user"]

    @admin.display(description="Merchant", ordering="merchant__name")
    def merchant_name(self, obj):
        return obj.merchant.name

    @admin.display(description="Platform", ordering="platform_name")
    def platform(self, obj):
        return obj.platform_name

    @admin.display(description="Staff", boolean=True, ordering="assisted")
    def by_staff(self, obj):
        return obj.assisted

    @admin.display(description="Outcome", ordering="outcome")
    def result(self, obj):
        return f"{obj.get_outcome_display()}: {obj.get_failure_reason_display()}" if obj.failure_reason else obj.get_outcome_display()


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
    # Fits 1280 px: the status says what is served and why a refresh failed, the error cut short
    # (the full text is on the entry's own page).
    list_display = ["icon", "name", "key", "enabled", "is_beta", "status"]
    list_display_links = ["name"]
    list_filter = ["source_type", "enabled"]
    search_fields = ["key", "name"]
    actions = ["refresh_selected", "evict_selected"]
    readonly_fields = [f.name for f in Integration._meta.fields] + ["thumbnails", "full_status"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("logos")

    @admin.display(description="Logos")
    def thumbnails(self, obj, variants=None):
        shown = [logo for logo in obj.logos.all() if variants is None or logo.variant in variants]
        return format_html_join(
            " ",
            '<img src="{}" alt="{}" height="32">',
            (
                (
                    reverse("integrations:logo", args=[logo.digest, logos.EXTENSIONS[logo.content_type]]),
                    logo.alt or f"{obj.name} {logo.variant} logo",
                )
                for logo in shown
            ),
        ) or "—"

    @admin.display(description="Logo")
    def icon(self, obj):
        """The list shows the square logo (rows stay one logo high); the entry's page shows both."""
        return self.thumbnails(obj, variants={"square"})

    @admin.display(description="Status")
    def full_status(self, obj):
        return branding_status(obj)

    @admin.display(description="Status")
    def status(self, obj):
        return branding_status(obj, error_chars=ERROR_CHARS)

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
            "refresh_all": self._refresh_all_state(request),
        }
        return super().changelist_view(request, extra_context)

    def refresh_all_view(self, request):
        """The "Refresh all" button: the catalogue, then every integration's branding, on the task queue."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_refresh_permission(request):
            raise PermissionDenied
        current = self._refresh_all_state(request)
        if current and current["state"] in ("queued", "running"):
            return redirect("admin:integrations_integration_changelist")  # one at a time: the page shows it
        result = refresh_all_branding.enqueue(force=True)
        request.session[REFRESH_ALL_SESSION_KEY] = str(result.id)
        return redirect("admin:integrations_integration_changelist")

    def _refresh_all_state(self, request) -> dict | None:
        """The operator's last "Refresh all", as the task queue has it: queued, running (how far), or its result."""
        task_id = request.session.get(REFRESH_ALL_SESSION_KEY)
        if not task_id:
            return None
        try:
            result = refresh_all_branding.get_result(task_id)
        except (TaskResultDoesNotExist, ValueError):
            return None
        status = str(result.status)
        if status == "READY":
            return {"state": "queued", "since": result.enqueued_at}
        if status == "RUNNING":
            started = result.started_at
            done = Integration.objects.filter(
                Q(branding_fetched_at__gte=started) | Q(branding_error_at__gte=started)
            ).count()
            return {"state": "running", "since": started, "done": done, "total": Integration.objects.count()}
        if status == "SUCCESSFUL":
            report = result.return_value or {}
            return {"state": "finished", "at": result.finished_at, "report": report, "ok": not report.get("failed")}
        errors = getattr(result, "errors", None) or []
        why = errors[-1].exception_class_path.rsplit(".", 1)[-1] if errors else "an error"
        return {"state": "crashed", "at": result.finished_at, "why": why}


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
