"""Debian's nginx running deploy/nginx.conf in front of a gunicorn, for the tests and bench/.

Everything in a temporary prefix: its own main config, pid, logs and temp files; listening on a
loopback port; in the foreground (``daemon off``), stopped by its pid. `make proxy` installs nginx.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.servers import ROOT, ServerDidNotStart, free_port, stop

CONFIG = ROOT / "deploy" / "nginx.conf"

_MAIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/portal.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("Debian's nginx is not installed: `make proxy` (or apt-get install nginx) installs it.")
    return found


def render(*, listen: str, upstream: str) -> str:
    """deploy/nginx.conf with its two placeholders filled in, as the nginx image's templates do."""
    return CONFIG.read_text().replace("${PORTAL_LISTEN}", listen).replace("${PORTAL_UPSTREAM}", upstream)


@contextmanager
def nginx_in_front_of(upstream_url: str):
    """nginx on a free loopback port proxying to ``upstream_url`` (http://127.0.0.1:PORT); yields its URL."""
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    os.chmod(prefix, 0o777)  # run as root, nginx's worker drops to nobody and writes its temp files here
    port = free_port()
    (prefix / "portal.conf").write_text(render(listen=f"127.0.0.1:{port}", upstream=upstream_url.removeprefix("http://")))
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(_MAIN.format(prefix=prefix, user=user))
    log = open(prefix / "stderr.log", "w")
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf")], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                errors = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
                raise ServerDidNotStart(f"nginx did not start: {(prefix / 'stderr.log').read_text()}{errors[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        stop(process, timeout=10)
        log.close()
        shutil.rmtree(prefix, ignore_errors=True)
