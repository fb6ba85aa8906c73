"""Mounted under /sandbox/ only when no CODAT_API_KEY is configured."""

from django.urls import path, re_path

from . import control_views, views

app_name = "codat_sandbox"

urlpatterns = [
    re_path(r"^codat/(?P<subpath>.*)$", views.codat_api, name="api"),
    path("logos/<str:name>", views.logo, name="logo"),
    path(
        "sync-flow/<uuid:company_id>/<str:commerce_key>/<str:accounting_key>/start",
        views.sync_flow_start,
        name="sync_flow_start",
    ),
    path("sync-flow/<uuid:company_id>/submit", views.sync_flow_submit, name="sync_flow_submit"),
    path("control/faults", control_views.control_faults, name="control_faults"),
    path("control/calls", control_views.control_calls, name="control_calls"),
    path("control/companies", control_views.control_companies, name="control_companies"),
    path("control/webhooks", control_views.control_webhooks, name="control_webhooks"),
    path(
        "control/webhooks/<str:message_id>/redeliver",
        control_views.control_webhook_redeliver,
        name="control_webhook_redeliver",
    ),
    path(
        "control/sync-flow-settings",
        control_views.control_sync_flow_settings,
        name="control_sync_flow_settings",
    ),
    path(
        "control/companies/<str:company_id>/<str:control>",
        control_views.control_company,
        name="control_company",
    ),
]
