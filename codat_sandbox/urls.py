"""Mounted under /sandbox/ only when no CODAT_API_KEY is configured."""

from django.urls import path, re_path

from . import views

app_name = "codat_sandbox"

urlpatterns = [
    re_path(r"^codat/(?P<subpath>.*)$", views.codat_api, name="api"),
    path("logos/<str:name>", views.logo, name="logo"),
    path(
        "sync-flow/<uuid:company_id>/<str:commerce_key>/<str:accounting_key>/start",
        views.sync_flow_start,
        name="sync_flow_start",
    ),
    path("sync-flow/<uuid:company_id>/finish", views.sync_flow_finish, name="sync_flow_finish"),
    path("control/faults", views.control_faults, name="control_faults"),
    path("control/calls", views.control_calls, name="control_calls"),
]
