from django.core.management.base import BaseCommand, CommandError

from integrations.codat import CodatError
from integrations.models import Integration
from integrations.services.branding import branding_refresh
from integrations.services.catalogue import catalogue_refresh


class Command(BaseCommand):
    help = "Warm or refresh the catalogue and branding cache from Codat. Exits non-zero if anything failed."

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Platform keys (default: every integration).")
        parser.add_argument("--force", action="store_true", help="Refresh even entries that are still fresh.")

    def handle(self, *args, keys, force, **options):
        failures = []
        try:
            fetched = catalogue_refresh(force=force)
            self.stdout.write(f"catalogue: {'refreshed' if fetched else 'fresh, kept'}")
        except CodatError as exc:
            failures.append("catalogue")
            self.stderr.write(f"catalogue: FAILED {exc}")
        known = set(Integration.objects.values_list("key", flat=True))
        for key in keys:
            if key not in known:
                failures.append(key)
                self.stderr.write(f"{key}: FAILED not in Codat's catalogue")
        targets = [key for key in keys if key in known] or ([] if keys else sorted(known))
        refreshed = kept = 0
        for number, key in enumerate(targets, start=1):
            prefix = f"[{number}/{len(targets)}] {key}"
            try:
                if branding_refresh(key, force=force):
                    refreshed += 1
                    problem = Integration.objects.values_list("branding_error", flat=True).get(pk=key)
                    if problem:
                        failures.append(key)
                        self.stderr.write(f"{prefix}: refreshed, but {problem}")
                    else:
                        self.stdout.write(f"{prefix}: refreshed")
                else:
                    kept += 1
                    self.stdout.write(f"{prefix}: fresh, kept")
            except CodatError as exc:
                failures.append(key)
                self.stderr.write(f"{prefix}: FAILED {exc}")
        summary = f"{refreshed} refreshed, {kept} kept, {len(failures)} failed"
        if failures:
            raise CommandError(f"{summary}: {', '.join(failures)}")
        self.stdout.write(self.style.SUCCESS(summary))
