"""The POS staff role: one group, its permissions (see models.StaffPermissions)."""

POS_STAFF_GROUP = "POS staff"

VIEW_MERCHANTS = "staff.view_merchant_status"
ONBOARD_MERCHANT = "staff.onboard_merchant"
ASSIST_LINKING = "staff.assist_linking"
REQUEST_SYNC = "staff.request_sync"
CHANGE_CONNECTION = "staff.change_merchant_connection"
