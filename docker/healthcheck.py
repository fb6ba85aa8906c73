"""Docker HEALTHCHECK: GET /healthz from this container's gunicorn (slim images have no curl).

Django answers only hosts in ALLOWED_HOSTS, so the probe names the first concrete one.
"""

import os
import sys
import urllib.request


def probe_host() -> str:
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    return next((h for h in hosts if h and h != "*"), "localhost")


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    request = urllib.request.Request(url, headers={"Host": probe_host()})
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except Exception as exc:  # any failure is simply "unhealthy"; say why in `docker inspect`
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
