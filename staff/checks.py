"""System checks for the staff area's settings."""

import zoneinfo

from django.conf import settings
from django.core import checks


@checks.register()
def check_staff_time_zone(app_configs=None, **kwargs):
    try:
        zoneinfo.ZoneInfo(settings.STAFF_TIME_ZONE)
    except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return [
            checks.Error(
                f"STAFF_TIME_ZONE {settings.STAFF_TIME_ZONE!r} is not an IANA time zone.",
                hint="Use a name such as Europe/London or America/New_York.",
                id="staff.E001",
            )
        ]
    return []
