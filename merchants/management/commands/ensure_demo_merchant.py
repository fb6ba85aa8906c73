from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from merchants.services import merchant_create

# (identifier, name, username, first name): both log in with the password "demo". Their email
# addresses make the merchant emails visible in make run's output (the console email backend).
DEMO_MERCHANTS = [
    ("Demo Merchant Ltd.", "Demo Coffee Co.", "demo", "Dee"),
    # make run links this one in the sandbox, so its "Your connection" page shows a live connection.
    ("Demo Linked Ltd.", "Demo Bakery", "linked", "Lin"),
]
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Sandbox only: create (once) the demo merchants, who log in as demo / demo and linked / demo."

    def handle(self, *args, **options):
        if not settings.CODAT_SANDBOX_ENABLED:
            raise CommandError("The demo merchants exist only in sandbox mode (CODAT_API_KEY is set).")
        users = get_user_model().objects
        for identifier, name, username, first_name in DEMO_MERCHANTS:
            if not users.filter(username=username).exists():
                merchant_create(
                    identifier=identifier,
                    name=name,
                    username=username,
                    email=f"{username}@example.com",
                    password=DEMO_PASSWORD,
                    first_name=first_name,
                    last_name="Mo",
                )
        self.stdout.write("Demo logins: demo / demo (not linked yet), linked / demo (linked to Xero)")
