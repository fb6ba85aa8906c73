from django.db import models


class StaffPermissions(models.Model):
    """No table: the home of the staff area's permissions, granted through the "POS staff" group."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_merchant_status", "Can see merchants and where they stand with linking"),
            ("onboard_merchant", "Can onboard merchants and issue sign-in links"),
            ("assist_linking", "Can link a platform on a merchant's behalf"),
            ("request_sync", "Can ask Codat to sync a merchant now or for a date range"),
            ("change_merchant_connection", "Can disconnect or switch a merchant's connection"),
        ]
