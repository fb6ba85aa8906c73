from django.urls import path, re_path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.select, name="select"),
    path("link/", views.start, name="link_start"),
    path("link/return/", views.returned, name="link_return"),
    re_path(r"^logos/(?P<digest>[0-9a-f]{64})\.(?P<extension>png|jpg|gif|webp|svg)$", views.logo, name="logo"),
    path("theme-<str:version>.css", views.theme_css, name="theme_css"),
]
