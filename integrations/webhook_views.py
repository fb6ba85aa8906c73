"""POST /webhooks/codat/: Codat's signed webhooks. No session, no CSRF, no login: the signature is the proof."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .services.webhooks import WebhookRefused, webhook_receive, webhook_verify

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class CodatWebhookView(View):
    http_method_names = ["post"]

    def post(self, request):
        limit = settings.CODAT_WEBHOOK_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return JsonResponse({"error": f"body larger than {limit} bytes"}, status=413)
        body = request.read(limit + 1)  # the raw bytes, as signed: never a re-serialised body
        if len(body) > limit:
            return JsonResponse({"error": f"body larger than {limit} bytes"}, status=413)
        webhook_id = request.headers.get("webhook-id", "")
        try:
            message = webhook_verify(body, request.headers)
        except WebhookRefused as refusal:
            # Neither the body nor a secret: the reason, and the claimed id to find Codat's record.
            logger.warning("codat webhook refused: %s (webhook-id %r)", refusal, webhook_id[:80])
            return JsonResponse({"error": "signature verification failed"}, status=400)
        event, created = webhook_receive(
            webhook_id=webhook_id, message=message, origin=f"{request.scheme}://{request.get_host()}"
        )
        return JsonResponse({"received": True, "duplicate": not created}, status=200)
