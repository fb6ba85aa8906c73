import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from integrations.services.refresh_due import DEFAULT_PER_MINUTE, FAILED, SKIPPED, connections_refresh_due

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'90', '90s', '15m', '1h', '2d' → a positive timedelta."""
    found = _DURATION.match(text or "")
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration such as 30m, 1h or 3600 (seconds)")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2).lower()])


class Command(BaseCommand):
    help = (
        "Refresh the connection snapshots that are due (expired, or with --stale-after older than that) "
        "from Codat, one at a time and paced for Codat's rate limits. For cron or a scheduler; "
        "exits non-zero if any refresh failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            metavar="DURATION",
            help="Refresh snapshots fetched longer ago than this (30m, 1h, 3600). "
            "Default: those past CODAT_CONNECTION_TTL.",
        )
        parser.add_argument(
            "--per-minute",
            type=float,
            default=DEFAULT_PER_MINUTE,
            help=f"Most refreshes started a minute; each is 5 Codat calls (default {DEFAULT_PER_MINUTE:g}).",
        )
        parser.add_argument("--limit", type=int, help="Most snapshots refreshed this run (oldest first).")

    def handle(self, *args, stale_after, per_minute, limit, **options):
        try:
            stale = parse_duration(stale_after) if stale_after is not None else None
        except ValueError as exc:
            raise CommandError(f"--stale-after: {exc}") from None
        if per_minute <= 0:
            raise CommandError("--per-minute must be more than 0.")
        if limit is not None and limit <= 0:
            raise CommandError("--limit must be more than 0.")
        report = connections_refresh_due(stale_after=stale, per_minute=per_minute, limit=limit, progress=self._progress)
        if report.stopped:
            self.stderr.write(report.stopped)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _progress(self, number, total, result):
        prefix = f"[{number}/{total}] {result.name} (merchant {result.merchant_id})"
        if result.outcome == FAILED:
            self.stderr.write(f"{prefix}: FAILED {result.detail}")
        elif result.outcome == SKIPPED:
            self.stdout.write(f"{prefix}: skipped, refreshed elsewhere meanwhile")
        else:
            self.stdout.write(f"{prefix}: refreshed, {result.detail.replace('_', ' ')}")
