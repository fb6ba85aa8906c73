from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from merchants.services import merchant_create

DEMO_IDENTIFIER = "Demo Merchant Ltd."
DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Sandbox only: create (once) the demo merchant whose user logs in as demo / demo."

    def handle(self, *args, **options):
        if not settings.CODAT_SANDBOX_ENABLED:
            raise CommandError("The demo merchant exists only in sandbox mode (CODAT_API_KEY is set).")
        if not get_user_model().objects.filter(username=DEMO_USERNAME).exists():
            merchant_create(
                identifier=DEMO_IDENTIFIER,
                name="Demo Coffee Co.",
                username=DEMO_USERNAME,
                password="demo",
                first_name="Dee",
                last_name="Mo",
            )
        self.stdout.write("Demo login: username demo, password demo")
