"""Close out link attempts left pending by a worker that stopped (killed, redeployed) mid hand-off."""

from django.core.management.base import BaseCommand

from integrations.services.link import link_attempts_close_abandoned


class Command(BaseCommand):
    help = (
        "Mark link attempts still pending past CODAT_HANDOFF_TIMEOUT + 60 s as failed (abandoned). "
        "Each merchant's own are also closed at their next link start; run this from cron for the rest."
    )

    def handle(self, *args, **options):
        closed = link_attempts_close_abandoned()
        self.stdout.write(f"{closed} abandoned link attempt(s) closed")
