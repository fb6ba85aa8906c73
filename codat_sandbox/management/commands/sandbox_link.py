from django.core.management.base import BaseCommand, CommandError

from codat_sandbox import controls
from codat_sandbox.data import BY_KEY
from codat_sandbox.models import SandboxCompany


class Command(BaseCommand):
    help = (
        "Sandbox only: link a company's accounting platform as if its merchant had pressed Finish. "
        "The company is found by the merchantIdentifier tag the portal gives the companies it creates."
    )

    def add_arguments(self, parser):
        parser.add_argument("merchant_identifier")
        parser.add_argument("platform_key", help="The accounting platform's key, e.g. gbol for Xero.")
        parser.add_argument("--tenant", default=None, help="The tenant name the accounting platform reports.")
        parser.add_argument("--sync", type=int, default=None, metavar="CODE", help="Then record a sync with this code.")

    def handle(self, *args, merchant_identifier, platform_key, tenant, sync, **options):
        companies = [c for c in SandboxCompany.objects.all() if c.tags.get("merchantIdentifier") == merchant_identifier]
        if len(companies) != 1:
            raise CommandError(f"{len(companies)} sandbox companies are tagged merchantIdentifier={merchant_identifier!r}.")
        try:
            connection = controls.link(companies[0].id, platform_key, tenant_name=tenant)
            if sync is not None:
                controls.push_sync(companies[0].id, status_code=sync)
        except controls.ControlError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{merchant_identifier}: {BY_KEY[connection.platform_key].name} {connection.status}")
