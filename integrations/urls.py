from django.urls import path, re_path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.SelectView.as_view(), name="select"),
    path("link/", views.LinkStartView.as_view(), name="link_start"),
    path("link/failed/<int:attempt_id>/", views.LinkFailedView.as_view(), name="link_failed"),
    path("link/return/", views.LinkReturnView.as_view(), name="link_return"),
    path("connection/", views.ConnectionView.as_view(), name="connection"),
    path("connection/state/", views.ConnectionStateView.as_view(), name="connection_state"),
    path("connection/disconnect/", views.ConnectionChangeView.as_view(change="disconnect"), name="disconnect"),
    path(
        "connection/disconnect/confirm/",
        views.ConnectionChangeConfirmView.as_view(change="disconnect"),
        name="disconnect_confirm",
    ),
    path("connection/switch/", views.ConnectionChangeView.as_view(change="switch"), name="switch"),
    path("connection/switch/confirm/", views.ConnectionChangeConfirmView.as_view(change="switch"), name="switch_confirm"),
    path("connection/tenant/keep/", views.TenantKeepView.as_view(), name="tenant_keep"),
    re_path(r"^logos/(?P<digest>[0-9a-f]{64})\.(?P<extension>png|jpg|gif|webp|svg)$", views.logo, name="logo"),
    path("logos/for/<str:key>/", views.logo_for, name="logo_for"),
]
