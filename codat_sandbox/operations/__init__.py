"""The emulated Codat operations, one module per part of the API; importing them registers their routes."""

from . import companies, configuration, connections, integrations, sync_flow_settings, sync_flow_url, syncs  # noqa: F401
