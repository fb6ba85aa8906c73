from django.core.management.base import BaseCommand, CommandError

from integrations.services.refresh_all import FAILED, KEPT, branding_refresh_all


class Command(BaseCommand):
    help = "Warm or refresh the catalogue and branding cache from Codat. Exits non-zero if anything failed."

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Platform keys (default: every integration).")
        parser.add_argument("--force", action="store_true", help="Refresh even entries that are still fresh.")

    def handle(self, *args, keys, force, **options):
        report = branding_refresh_all(force=force, keys=keys or None, progress=self._progress)
        if not report.ok:
            raise CommandError(f"{report.summary()}: {', '.join(report.failures)}")
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _progress(self, number, total, result):
        prefix = f"[{number}/{total}] {result.key}" if number else result.key
        if result.outcome == FAILED:
            self.stderr.write(f"{prefix}: FAILED {result.problem}")
        elif result.outcome == KEPT:
            self.stdout.write(f"{prefix}: fresh, kept")
        elif result.problem:
            self.stderr.write(f"{prefix}: refreshed, but {result.problem}")
        else:
            self.stdout.write(f"{prefix}: refreshed")
