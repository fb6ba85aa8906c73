"""Telling a merchant their connection broke: an email to each of their logins, and a banner.

The email links to "Your connection", never to a Sync Flow URL (single-use, dead in 30 s).
One alert per outage: a second "disconnected" while the first stands sends nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from merchants.models import Merchant

from ..models import ConnectionSnapshot, WebhookEvent
from .standing import Standing

logger = logging.getLogger(__name__)


def alert_raise(*, snapshot: ConnectionSnapshot, merchant: Merchant, event: WebhookEvent, standing: Standing) -> int:
    """Email the merchant's logins (once per outage) and show the banner; how many emails were sent."""
    if snapshot.alert_at is not None:
        return 0
    recipients = list(
        merchant.memberships.filter(user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    base = (settings.PORTAL_URL or event.origin).rstrip("/")
    context = {
        "merchant": merchant,
        "standing": standing,
        "platform": standing.platform_name or "your accounting software",
        "connection_url": f"{base}{reverse('integrations:connection')}",
        "partner_name": settings.PARTNER_NAME,
        "support_email": settings.SUPPORT_EMAIL,
        "support_url": settings.SUPPORT_URL,
    }
    subject = render_to_string("integrations/email/connection_broken_subject.txt", context).strip()
    body = render_to_string("integrations/email/connection_broken.txt", context)
    # Sent before the alert is recorded: if the mail server fails, reprocessing sends it again.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients]
    sent = (send_mass_mail(messages) or 0) if messages else 0  # some backends answer None
    ConnectionSnapshot.objects.filter(pk=snapshot.pk).update(alert=event.event_type, alert_at=timezone.now())
    logger.info("merchant %s alerted of %s: %d email(s)", merchant.pk, event.event_type, sent)
    return sent


def alert_clear(snapshot: ConnectionSnapshot) -> None:
    ConnectionSnapshot.objects.filter(pk=snapshot.pk).update(alert="", alert_at=None)
