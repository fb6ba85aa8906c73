"""Public: where a merchant's user opens the one-time link staff handed them."""

from django.urls import path

from . import views

app_name = "sign_in"

urlpatterns = [
    path("", views.open_link, name="open"),
    path("set-password/", views.set_password, name="set_password"),
]
