import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from integrations.codat import CodatError
from integrations.services.companies import company_bind
from merchants.models import Merchant

BIND_TIMEOUT = 20.0


class Command(BaseCommand):
    help = (
        "Create the Codat company of each merchant that has none yet (all, or those named), "
        "as their first link start would. Safe to re-run; exits non-zero if any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifiers", nargs="*", metavar="IDENTIFIER", help="Merchant identifiers (default: all).")

    def handle(self, *args, identifiers, **options):
        merchants = Merchant.objects.filter(Q(codat_company__isnull=True) | Q(codat_company__company_id__isnull=True))
        if identifiers:
            merchants = Merchant.objects.filter(identifier__in=identifiers)
            missing = set(identifiers) - set(merchants.values_list("identifier", flat=True))
            if missing:
                raise CommandError(f"No merchant with identifier: {', '.join(sorted(missing))}")
        failed = []
        for merchant in merchants.order_by("pk"):
            try:
                company_id = company_bind(merchant=merchant, deadline=time.monotonic() + BIND_TIMEOUT)
            except CodatError as exc:
                failed.append(merchant.identifier)
                self.stderr.write(f"{merchant.identifier}: FAILED {exc}")
            else:
                self.stdout.write(f"{merchant.identifier}: Codat company {company_id}")
        if failed:
            raise CommandError(f"{len(failed)} failed: {', '.join(failed)}")
