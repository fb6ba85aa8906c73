import logging
from contextlib import contextmanager, nullcontext

from django.core.management.base import BaseCommand, CommandError

from integrations.services.refresh_all import FAILED, KEPT, branding_refresh_all


class Command(BaseCommand):
    help = (
        "Warm or refresh the catalogue and branding cache from Codat. Exits non-zero if anything failed, "
        "including a platform left with no logo while its refreshes back off after an error. "
        "With -v 0, one line: the summary, or the failures and the first reason (what `make run` shows)."
    )

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", metavar="KEY", help="Platform keys (default: every integration).")
        parser.add_argument("--force", action="store_true", help="Refresh even entries that are still fresh.")

    def handle(self, *args, keys, force, verbosity, **options):
        quiet = verbosity == 0
        with _logs_muted() if quiet else nullcontext():
            report = branding_refresh_all(force=force, keys=keys or None, progress=None if quiet else self._progress)
        if not report.ok:
            failed = f"Branding cache: {report.summary()}: {', '.join(report.failures)}"
            first = next(iter(report.as_dict()["problems"].items()), None)
            if quiet and first:  # no per-platform lines said why: the first reason, still on one line
                failed += f" (first, {first[0]}: {first[1]}; run refresh_branding without -v 0 for each)"
            raise CommandError(failed)
        self.stdout.write(self.style.SUCCESS(f"Branding cache: {report.summary()}"))

    def _progress(self, number, total, result):
        prefix = f"[{number}/{total}] {result.key}" if number else result.key
        if result.outcome == FAILED:
            self.stderr.write(f"{prefix}: FAILED {result.problem}")
        elif result.outcome == KEPT and result.note:
            self.stderr.write(f"{prefix}: kept, {result.note}")
        elif result.outcome == KEPT:
            self.stdout.write(f"{prefix}: fresh, kept")
        elif result.problem:
            self.stderr.write(f"{prefix}: refreshed, but {result.problem}")
        else:
            self.stdout.write(f"{prefix}: refreshed")


@contextmanager
def _logs_muted():
    """-v 0: the Codat client logs every call at INFO (three per platform), and each failure at WARNING;
    the summary says what failed. Errors (a bug) still show."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)
