from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from merchants.forms import ChoosePasswordForm, MerchantPasswordResetForm

from . import health, views

admin.site.site_header = "Commerce Portal administration"
admin.site.site_title = "Commerce Portal admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Forgot your password: Django's reset by email, for merchants' logins (merchants.forms).
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(form_class=MerchantPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=ChoosePasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("theme-<str:version>.css", views.theme_css, name="theme_css"),
    path("webhooks/", include("integrations.webhook_urls")),
    path("sign-in/", include("merchants.urls")),
    path("staff/", include("staff.urls")),
    path("", include("integrations.urls")),
]

if settings.CODAT_SANDBOX_APP:  # never mounted when a real Codat key is configured
    urlpatterns.append(path("sandbox/", include(f"{settings.CODAT_SANDBOX_APP}.urls")))
