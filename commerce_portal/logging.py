"""Log filters: request ids on every record, and secrets scrubbed from every line."""

import logging
import re

from .log_escape import escape_controls
from .request_context import request_id_var

# One-time Sync Flow codes, Basic credentials and bearer tokens, wherever they appear.
_SECRETS = [
    (re.compile(r"(?i)(\botp=)[^&\s\"']+"), r"\1[redacted]"),
    (re.compile(r"(?i)(\bBasic\s+)[A-Za-z0-9+/=]{6,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1[redacted]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestContextFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Rewrites the record so no handler can print a secret."""

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            # Django attaches the request to its 4xx/5xx records; a JSON formatter would
            # print it whole, query string (and any one-time code) included.
            record.request = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}".strip()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: fill it in, scrubbed, before any handler formats it.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class TextFormatter(logging.Formatter):
    """One record, one line: control characters in the message (paths, hosts, values a client
    chose) are escaped, so a ``%0A`` in a URL cannot print a forged line after it. Tracebacks,
    added after the message, keep their own lines. JSON logs need none of this: JSON escapes."""

    def formatMessage(self, record):
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
