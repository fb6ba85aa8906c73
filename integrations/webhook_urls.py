from django.urls import path

from .webhook_views import CodatWebhookView

app_name = "webhooks"

urlpatterns = [path("codat/", CodatWebhookView.as_view(), name="codat")]
