from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.merchants, name="merchants"),
    path("merchants/new/", views.merchant_new, name="merchant_new"),
    path("merchants/<int:merchant_id>/", views.merchant_detail, name="merchant_detail"),
    path("merchants/<int:merchant_id>/refresh/", views.connection_refresh, name="connection_refresh"),
    path("merchants/<int:merchant_id>/sync/", views.sync_now, name="sync_now"),
    path("merchants/<int:merchant_id>/sync/range/", views.sync_range, name="sync_range"),
    path(
        "merchants/<int:merchant_id>/logins/<int:user_id>/sign-in-link/",
        views.sign_in_link_new,
        name="sign_in_link_new",
    ),
    path("merchants/<int:merchant_id>/logins/new/", views.login_new, name="login_new"),
    path(
        "merchants/<int:merchant_id>/logins/<int:user_id>/sign-in-link/email/",
        views.sign_in_link_email,
        name="sign_in_link_email",
    ),
    path(
        "merchants/<int:merchant_id>/logins/<int:user_id>/sign-in-link/issued/",
        views.sign_in_link_issued,
        name="sign_in_link_issued",
    ),
    path(
        "merchants/<int:merchant_id>/link/failed/<int:attempt_id>/",
        views.AssistLinkFailedView.as_view(),
        name="assist_failed",
    ),
    path("merchants/<int:merchant_id>/link/", views.AssistSelectView.as_view(), name="assist_select"),
    path("merchants/<int:merchant_id>/link/start/", views.AssistLinkStartView.as_view(), name="assist_start"),
    path("merchants/<int:merchant_id>/link/return/", views.AssistLinkReturnView.as_view(), name="assist_returned"),
    path(
        "merchants/<int:merchant_id>/connection/disconnect/",
        views.AssistConnectionChangeView.as_view(change="disconnect"),
        name="assist_disconnect",
    ),
    path(
        "merchants/<int:merchant_id>/connection/disconnect/confirm/",
        views.AssistConnectionChangeConfirmView.as_view(change="disconnect"),
        name="assist_disconnect_confirm",
    ),
    path(
        "merchants/<int:merchant_id>/connection/switch/",
        views.AssistConnectionChangeView.as_view(change="switch"),
        name="assist_switch",
    ),
    path(
        "merchants/<int:merchant_id>/connection/switch/confirm/",
        views.AssistConnectionChangeConfirmView.as_view(change="switch"),
        name="assist_switch_confirm",
    ),
]
