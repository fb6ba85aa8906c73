from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from merchants.services import generate_password, merchant_create


class Command(BaseCommand):
    help = "Create a merchant and its first user. Without --password, a strong one is generated and printed once."

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="Merchant identifier sent to Codat (unique; spaces allowed).")
        parser.add_argument("--name", required=True, help="The merchant's display name.")
        parser.add_argument("--username", required=True, help="Login for the merchant's first user.")
        parser.add_argument("--password", help="The user's password (default: generated).")
        parser.add_argument("--email", default="")

    def handle(self, *args, identifier, name, username, password, email, **options):
        generated = password is None
        password = password or generate_password()
        try:
            merchant, user = merchant_create(
                identifier=identifier, name=name, username=username, email=email, password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created merchant {merchant.name} ({merchant.identifier}) with user {user.username}."))
        if generated:
            self.stdout.write(f"Password for {user.username} (shown once): {password}")
