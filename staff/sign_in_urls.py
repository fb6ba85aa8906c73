"""Public: where a merchant's user opens the one-time link staff handed them."""

from django.urls import path

from . import sign_in_views

app_name = "sign_in"

urlpatterns = [
    path("", sign_in_views.open_link, name="open"),
    path("set-password/", sign_in_views.set_password, name="set_password"),
]
