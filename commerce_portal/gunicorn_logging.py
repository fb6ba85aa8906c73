"""Gunicorn's access log with request-derived values escaped (gunicorn.conf.py's logger_class).

Gunicorn writes the percent-decoded path (%(U)s) as it is: ``/x%0Afake line`` would print a
second, forged line. Every string atom is escaped before the line is formatted.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .log_escape import escape_controls


class EscapingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: escape_controls(value) if isinstance(value, str) else value for key, value in atoms.items()}
