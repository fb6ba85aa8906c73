"""Load benchmark: the app under gunicorn as deployed, driven by wrk.

    .venv/bin/python bench/load.py [--duration 10] [--connections 16] [--codat-latency-ms 50]

Starts gunicorn with gunicorn.conf.py and production settings (DEBUG off,
secure cookies, HSTS, CSP, manifest static files; the sandbox acknowledged as
a demo with CODAT_SANDBOX_DEMO) on PostgreSQL and Redis, warms the branding
cache, then measures with wrk, in one run against one gunicorn:

  * a bare WSGI answer (no Django) — the ceiling this machine and gunicorn allow,
  * the login page,
  * the selection page for a logged-in merchant,
  * "Your connection" for that merchant, linked, with a fresh snapshot (no Codat call),
  * the hand-off POST with the sandbox answering mints after --codat-latency-ms.

The ratios to the bare answer and to the login page, and the hand-off's time above
Codat's latency, are the figures that count; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import gunicorn, merchant_session, setup_django  # noqa: E402
from tests.servers import free_port  # noqa: E402  (harness put the repository root on sys.path)

POSTGRES = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/commerce_portal_bench")
REDIS = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/4")
WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
HANDOFF_CONNECTIONS = 4


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def wrk(url: str, *, duration: int, connections: int, headers: dict[str, str], script: str | None = None) -> dict:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    latency = {pct: float(value) * UNITS[unit] for pct, value, unit in WRK_LATENCY.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": float(WRK_LINE.search(output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def warm_connection_snapshot() -> None:
    """The bench merchant bound to its Codat company, linked to Xero in the sandbox, with a fresh
    snapshot: "Your connection" then reads the database only (no Codat call), as for most views."""
    from codat_sandbox import controls
    from integrations.services.companies import company_bind
    from integrations.services.connections import connection_refresh
    from merchants.models import Merchant

    merchant = Merchant.objects.get(identifier="Bench Merchant")
    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    controls.link(company_id, "gbol")
    connection_refresh(merchant.pk, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--codat-latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (Debian), or `make bench-load` which installs it.")

    ensure_database(POSTGRES)
    port = free_port()
    origin = f"https://127.0.0.1:{port}"
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = {
        "DATABASE_URL": POSTGRES,
        "CACHE_URL": REDIS,
        "CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": origin,
        "SECURE_PROXY_SSL_HEADER": "true",  # wrk speaks plain HTTP; it says it came through TLS
        "CODAT_SANDBOX_DEMO": "true",
        "CODAT_SANDBOX_API_KEY": secrets.token_urlsafe(32),  # a demo refuses the default key
        "LINK_RATE_LIMIT": "0",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    setup_django(env)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # as the image build does
    call_command("refresh_branding", "--force", stdout=open(os.devnull, "w"))
    cookies = merchant_session()
    warm_connection_snapshot()
    from codat_sandbox import faults
    from integrations.models import LinkAttempt

    faults.reset()
    LinkAttempt.objects.all().delete()  # count only this run's hand-offs
    session = "; ".join(f"{k}={v}" for k, v in cookies.items())
    https = {"X-Forwarded-Proto": "https"}
    workers = {"WEB_CONCURRENCY": str(args.workers)} if args.workers else {}
    results = {}
    with gunicorn({**env, **workers}, port=port, app="bench.bare_wsgi:application") as url:
        common = dict(duration=args.duration, connections=args.connections)
        for path in ("/", "/accounts/login/"):  # warm every worker once
            httpx.get(f"{url}{path}", headers={**https, "Cookie": session})
        results["bare WSGI answer"] = wrk(f"{url}/__bare__", headers=https, **common)
        results["login page"] = wrk(f"{url}/accounts/login/", headers=https, **common)
        results["selection page"] = wrk(f"{url}/", headers={**https, "Cookie": session}, **common)
        results["connection page"] = wrk(f"{url}/connection/", headers={**https, "Cookie": session}, **common)

        page = httpx.get(f"{url}/", headers={**https, "Cookie": session})
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        csrf_cookie = page.cookies.get("csrftoken") or re.search(r"csrftoken=([^;]+)", page.headers.get("set-cookie", "")).group(1)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(textwrap.dedent(f"""
            wrk.method = "POST"
            wrk.body = "platform_key=gbol&csrfmiddlewaretoken={token}"
            wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
            wrk.headers["Cookie"] = "{session}; csrftoken={csrf_cookie}"
            wrk.headers["Referer"] = "{origin}/"
            wrk.headers["X-Forwarded-Proto"] = "https"
        """))
        faults.inject("get-sync-flow-url", latency_ms=args.codat_latency_ms)
        # Fewer connections than workers: each worker waits on Codat, and queueing is not our overhead.
        results["hand-off POST"] = wrk(
            f"{url}/link/", headers={}, script=str(script), duration=args.duration, connections=HANDOFF_CONNECTIONS
        )
    faults.reset()  # gunicorn has finished the requests in flight when wrk stopped
    outcomes = dict.fromkeys(["redirected", "redirected_after_remint", "failed"], 0)
    for outcome in LinkAttempt.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    bare = results["bare WSGI answer"]["rps"]
    print(f"Load benchmark: gunicorn.conf.py, production settings, PostgreSQL + Redis, wrk {args.duration}s x "
          f"{args.connections} connections, {os.cpu_count()} cores shared by wrk and gunicorn")
    login = results["login page"]["rps"]
    print(f"  {'':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'vs login':>9} {'non-2xx/3xx':>12}")
    for name, figures in results.items():
        print(f"  {name:22} {figures['rps']:9.1f} {figures['p50']:8.2f} {figures['p99']:8.2f} "
              f"{figures['rps'] / bare:8.3f} {figures['rps'] / login:9.3f} {figures['errors']:12d}")
    handoff = results["hand-off POST"]
    print(f"  hand-off ({HANDOFF_CONNECTIONS} connections): Codat answers each mint after {args.codat_latency_ms} ms; "
          f"our p50 overhead above it "
          f"{handoff['p50'] - args.codat_latency_ms:.1f} ms; attempts {outcomes}")


if __name__ == "__main__":
    main()
