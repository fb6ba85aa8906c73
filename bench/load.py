"""Load benchmark: the app under gunicorn as deployed, driven by wrk (issue 17, "Speed").

    .venv/bin/python bench/load.py [--duration 10] [--connections 16] [--codat-latency-ms 50]
                                   [--cold-latency-ms 150] [--repeat 1]

Starts gunicorn with gunicorn.conf.py and production settings (DEBUG off,
secure cookies, HSTS, CSP, manifest static files; the sandbox acknowledged as
a demo with CODAT_SANDBOX_DEMO) on PostgreSQL and Redis, warms the branding
cache and the connection snapshots, then measures with wrk:

  * a bare WSGI answer (no Django) — the ceiling this machine and gunicorn allow,
  * the login page,
  * the selection page for a logged-in merchant,
  * "Your connection" for that merchant, linked, with a fresh snapshot (no Codat call),
  * POS staff's merchant list (200 bench merchants, 25 a page) and one merchant's page,
  * the Codat calls those merchant and staff pages made (warm: there should be none),
  * a cold selection page, alone, with every Codat call it needs at --cold-latency-ms,
  * the hand-off POST with the sandbox answering mints after --codat-latency-ms, against
    that latency and against Codat's latency as our Codat client measured it,
  * each gunicorn worker's resident memory after the run.

The ratios to the bare answer and to the login page, the hand-off's time above
Codat's latency and the cold page against Codat's latency are the figures that
count; absolute numbers depend on the machine, which is described first. With
--repeat N the whole measurement runs N times and the summary gives each
figure's median and spread.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import re
import runpy
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable
from unittest import mock

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, gunicorn, merchant_session, session_cookies, setup_django  # noqa: E402
from tests.servers import free_port  # noqa: E402  (harness put the repository root on sys.path)

POSTGRES = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/commerce_portal_bench")
REDIS = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/4")
APP = "bench.bare_wsgi:application"
WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_REQUESTS = re.compile(r"(\d+) requests in")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
HANDOFF_CONNECTIONS = 4
# Production's shape (gunicorn.conf.py: 8 threads a worker). With one thread, two of wrk's keep-alive
# connections landing on the same worker wait for each other, and the hand-off measured that queue.
THREADS = int(os.environ.get("GUNICORN_THREADS", "8"))
# What our Codat client logs (integrations/codat/client.py _log) for each mint that succeeded.
CODAT_MINT_LOG = re.compile(r"codat get-sync-flow-url -> 200 in ([\d.]+)ms")
STAFF_MERCHANTS = 200
LINKED_EVERY = 5  # one bench merchant in five linked, with a snapshot: the list shows a mix of states
COLD_VIEWS = 3
COLD_OPERATIONS = ("list-integrations", "get-integration-branding", "branding-image")  # what a cold page asks
IMG_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]+)\"")
HTTPS = {"X-Forwarded-Proto": "https"}  # wrk and httpx speak plain HTTP; they say it came through TLS
RSS_TARGET_MB = 120


@dataclass
class Bench:
    """What every run shares: the server's environment and port, the sessions, the pages to load."""

    env: dict[str, str]
    port: int
    origin: str
    merchant_cookie: str
    linked: list = field(default_factory=list)  # merchants whose snapshots each run refreshes
    pages: list[tuple[str, str, str]] = field(default_factory=list)  # (row, path, Cookie) merchant and staff pages


@dataclass(frozen=True)
class Figure:
    label: str
    target: str
    met: Callable[[float], bool]
    unit: str = ""
    digits: int = 2

    def show(self, value: float, *, unit: bool = True) -> str:
        return "n/a" if math.isnan(value) else f"{value:.{self.digits}f}{self.unit if unit else ''}"


def figures(args) -> dict[str, Figure]:
    """The issue's figures, in its order (the hand-off's both ways), and the workers' memory."""
    return {
        "selection": Figure("selection page req/s ÷ login page req/s", "≥ 0.9", lambda v: v >= 0.9),
        "connection": Figure("/connection/ (warm snapshot) req/s ÷ login req/s", "≥ 0.9", lambda v: v >= 0.9),
        "staff list": Figure(f"staff merchant list ({STAFF_MERCHANTS}, 25 a page) req/s ÷ login req/s", "≥ 0.6",
                             lambda v: v >= 0.6),
        "hand-off injected": Figure(f"hand-off p50 − Codat's injected {args.codat_latency_ms} ms "
                                    f"({HANDOFF_CONNECTIONS} connections)", "≤ 8 ms", lambda v: v <= 8, " ms", 1),
        "hand-off measured": Figure("hand-off p50 − Codat's p50 as our client measured it", "≤ 8 ms",
                                    lambda v: v <= 8, " ms", 1),
        "cold": Figure(f"cold selection page ÷ Codat's per-call latency ({args.cold_latency_ms} ms)", "≤ 2.5",
                       lambda v: v <= 2.5),
        "codat calls": Figure("Codat calls per warm page view (merchant and staff pages)", "0",
                              lambda v: v == 0, "", 3),
        "rss": Figure("largest gunicorn worker RSS after the run", f"< {RSS_TARGET_MB} MB",
                      lambda v: v < RSS_TARGET_MB, " MB", 0),
    }


# --- wrk -------------------------------------------------------------------------------------


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
        "requests": int(WRK_REQUESTS.search(output).group(1)),
    }


def expect_200(url: str, cookie: str = "") -> httpx.Response:
    """One GET that must answer 200: wrk would count a redirect to the login page, or a 403, as a page."""
    response = httpx.get(url, headers={**HTTPS, "Cookie": cookie}, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}, not 200; no figure for it means anything:\n"
                         f"{response.text[:2000]}")
    return response


# --- the machine -----------------------------------------------------------------------------


def gunicorn_shape(env: dict[str, str]) -> tuple[int, int]:
    """Workers and threads as gunicorn.conf.py reads them from the environment the servers get."""
    with mock.patch.dict(os.environ, {**env, "GUNICORN_THREADS": str(THREADS)}):
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return config["workers"], config["threads"]


def describe_machine(env: dict[str, str]) -> list[str]:
    import django
    import redis
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^(?:model name|Model|Hardware)\s*:\s*(.+)$", cpuinfo, re.M)
    memory_kb = int(re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M).group(1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        postgres = cursor.fetchone()[0].split(", compiled by")[0]
    redis_version = redis.Redis.from_url(REDIS).info("server")["redis_version"]
    workers, threads = gunicorn_shape(env)
    return [
        f"Machine: {os.cpu_count()} cores, {model.group(1).strip() if model else 'CPU model unknown'}, "
        f"{memory_kb / 1024 ** 2:.1f} GiB memory (shared by wrk, gunicorn, PostgreSQL and Redis)",
        f"  Python {sys.version.split()[0]}, Django {django.get_version()}, gunicorn {metadata.version('gunicorn')}; "
        f"{postgres}; Redis {redis_version}",
        f"  gunicorn: {workers} workers x {threads} thread{'s' if threads != 1 else ''} (gthread; gunicorn.conf.py, "
        f"WEB_CONCURRENCY from --workers, else 2 x cores + 1)",
    ]


def _proc_status(pid: str) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}


def worker_rss_mb(port: int) -> list[float]:
    """Resident memory of each worker of our gunicorn on ``port`` (the master is our child; its children are
    the workers), from /proc."""
    statuses, bind = {}, f"GUNICORN_BIND=127.0.0.1:{port}".encode()
    for pid in (entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit()):
        try:
            statuses[pid] = _proc_status(pid)
        except OSError:  # gone meanwhile
            continue
    masters = set()
    for pid, status in statuses.items():
        if status.get("PPid") == str(os.getpid()):
            try:
                if bind in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    masters.add(pid)
            except OSError:
                continue
    return sorted(
        int(status["VmRSS"].split()[0]) / 1024
        for status in statuses.values()
        if status.get("PPid") in masters and "VmRSS" in status
    )


# --- data ------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def warm_connection_snapshot(merchant) -> None:
    """The merchant bound to its Codat company, linked to Xero in the sandbox, with a fresh
    snapshot: "Your connection" then reads the database only (no Codat call), as for most views."""
    from codat_sandbox import controls
    from integrations.services.companies import company_bind
    from integrations.services.connections import connection_refresh

    company_id = company_bind(merchant=merchant, deadline=time.monotonic() + 10)
    controls.link(company_id, "gbol")
    connection_refresh(merchant.pk, True)


def bench_merchants(count: int) -> list:
    """"Bench Merchant 001" ... for staff's list, created once (the database outlives a run)."""
    from merchants.models import Merchant
    from merchants.services import merchant_create

    identifiers = [f"Bench Merchant {n:03d}" for n in range(1, count + 1)]
    existing = set(Merchant.objects.filter(identifier__in=identifiers).values_list("identifier", flat=True))
    for n, identifier in enumerate(identifiers, 1):
        if identifier not in existing:
            merchant_create(identifier=identifier, name=identifier, username=f"bench-merchant-{n:03d}", password=None)
    return list(Merchant.objects.filter(identifier__in=identifiers).order_by("identifier"))


def staff_session() -> str:
    """A POS staff member (the group staff/roles.py names, made by the migrations) and its Cookie header."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from staff.roles import POS_STAFF_GROUP

    User = get_user_model()
    user = User.objects.filter(username="bench-staff").first() or User.objects.create_user(
        "bench-staff", password=None, first_name="Bench", last_name="Staff"
    )
    user.groups.add(Group.objects.get(name=POS_STAFF_GROUP))
    return cookie_header(session_cookies(user))


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def evict_branding() -> None:
    """As bench/branding_cache.py does: the catalogue, branding and logos forgotten, the cache emptied."""
    from django.core.cache import cache

    from integrations.models import CatalogueState, Integration

    Integration.objects.all().delete()  # logos go with them
    CatalogueState.objects.all().delete()
    cache.clear()


def warm_branding() -> None:
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("refresh_branding", "--force", stdout=quiet)


# --- one run ---------------------------------------------------------------------------------


def cold_selection(url: str, bench: Bench, latency_ms: int) -> tuple[list[float], list[float], int]:
    """Cold selection pages, alone: each after an eviction, with every Codat call at ``latency_ms``.

    Times the HTML, and the HTML plus every <img> on it fetched at once afterwards (as a browser would);
    returns both lists of seconds and the number of images on the last page."""
    from codat_sandbox import faults

    html_times, loaded_times, images = [], [], 0
    with httpx.Client(base_url=url, headers={**HTTPS, "Cookie": bench.merchant_cookie}, timeout=60) as browser:
        for view in range(COLD_VIEWS):
            if view:
                time.sleep(latency_ms / 1000 * 4)  # let refreshes the last view left running finish
            evict_branding()
            faults.reset()
            for operation in COLD_OPERATIONS:
                faults.inject(operation, latency_ms=latency_ms)
            started = time.perf_counter()
            page = browser.get("/")
            html_times.append(time.perf_counter() - started)
            if page.status_code != 200:
                raise SystemExit(f"cold GET / answered {page.status_code}")
            sources = sorted({html.unescape(src) for src in IMG_SRC.findall(page.text)})
            with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
                failed = [src for src, code in zip(sources, pool.map(lambda s: browser.get(s).status_code, sources))
                          if code != 200]
            loaded_times.append(time.perf_counter() - started)
            if failed:
                raise SystemExit(f"images on the cold page did not load: {failed}")
            images = len(sources)
    time.sleep(latency_ms / 1000 * 4)
    faults.reset()
    warm_branding()
    return html_times, loaded_times, images


def handoff_script(url: str, bench: Bench) -> str:
    """A wrk script that POSTs the hand-off with the merchant's session and a CSRF token."""
    page = expect_200(f"{url}/", bench.merchant_cookie)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    csrf_cookie = page.cookies.get("csrftoken") or re.search(r"csrftoken=([^;]+)", page.headers.get("set-cookie", "")).group(1)
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(textwrap.dedent(f"""
        wrk.method = "POST"
        wrk.body = "platform_key=gbol&csrfmiddlewaretoken={token}"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.headers["Cookie"] = "{bench.merchant_cookie}; csrftoken={csrf_cookie}"
        wrk.headers["Referer"] = "{bench.origin}/"
        wrk.headers["X-Forwarded-Proto"] = "https"
    """))
    return str(script)


def measure_handoff(args, bench: Bench) -> dict:
    """The hand-off on a gunicorn of its own at LOG_LEVEL=INFO, where our Codat client logs each mint's time."""
    from codat_sandbox import faults
    from integrations.models import LinkAttempt

    faults.reset()
    LinkAttempt.objects.all().delete()  # count only this run's hand-offs
    logs: list[Path] = []
    with gunicorn({**bench.env, "LOG_LEVEL": "INFO"}, port=bench.port, app=APP, threads=THREADS,
                  log_paths=logs) as url:
        script = handoff_script(url, bench)
        faults.inject("get-sync-flow-url", latency_ms=args.codat_latency_ms)
        # Fewer connections than workers: each worker waits on Codat, and queueing is not our overhead.
        result = wrk(f"{url}/link/", headers={}, script=script, duration=args.duration,
                     connections=HANDOFF_CONNECTIONS)
        time.sleep(1)  # hand-offs in flight when wrk stopped log their mint
        result["codat ms"] = [float(ms) for ms in CODAT_MINT_LOG.findall(logs[0].read_text())]
        result["rss"] = worker_rss_mb(bench.port)
    faults.reset()  # gunicorn has finished the requests in flight when wrk stopped
    outcomes = dict.fromkeys(["redirected", "redirected_after_remint", "failed"], 0)
    for outcome in LinkAttempt.objects.values_list("outcome", flat=True):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    result["outcomes"] = outcomes
    return result


def measure(args, bench: Bench) -> dict[str, float]:
    """One whole measurement: prints its figures, returns the summary's."""
    from codat_sandbox import faults

    faults.reset()
    for merchant in bench.linked:  # fresh snapshots (a stale one would make its page ask Codat)
        warm_connection_snapshot(merchant)
    common = dict(duration=args.duration, connections=args.connections)
    results = {}
    with gunicorn(bench.env, port=bench.port, app=APP, threads=THREADS) as url:
        expect_200(f"{url}/accounts/login/")
        for _, path, cookie in bench.pages:  # each answers 200 (else no figure), and warms a worker
            expect_200(f"{url}{path}", cookie)
        results["bare WSGI answer"] = wrk(f"{url}/__bare__", headers=HTTPS, **common)
        results["login page"] = wrk(f"{url}/accounts/login/", headers=HTTPS, **common)
        faults.reset()  # from here, every sandbox call is one a merchant or staff page made
        for name, path, cookie in bench.pages:
            results[name] = wrk(f"{url}{path}", headers={**HTTPS, "Cookie": cookie}, **common)
        time.sleep(1)  # a refresh a page started in the background would have called Codat by now
        calls = faults.call_counts()
        views = sum(results[name]["requests"] for name, _, _ in bench.pages)
        cold_html, cold_loaded, images = cold_selection(url, bench, args.cold_latency_ms)
        rss = worker_rss_mb(bench.port)
    results["hand-off POST"] = handoff = measure_handoff(args, bench)

    bare, login = results["bare WSGI answer"]["rps"], results["login page"]["rps"]
    print(f"Load benchmark: gunicorn.conf.py, production settings, PostgreSQL + Redis, wrk {args.duration}s x "
          f"{args.connections} connections, {os.cpu_count()} cores shared by wrk and gunicorn")
    print(f"  {'':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'vs login':>9} {'non-2xx/3xx':>12}")
    for name, row in results.items():
        print(f"  {name:22} {row['rps']:9.1f} {row['p50']:8.2f} {row['p99']:8.2f} "
              f"{row['rps'] / bare:8.3f} {row['rps'] / login:9.3f} {row['errors']:12d}")
    print(f"  hand-off ({HANDOFF_CONNECTIONS} connections): Codat answers each mint after {args.codat_latency_ms} ms; "
          f"our p50 overhead above it "
          f"{handoff['p50'] - args.codat_latency_ms:.1f} ms; attempts {handoff['outcomes']}")
    # The embedded sandbox answers in-process, so its own work (routing, the call log, the fault lookup) is part of
    # Codat's latency as our client sees it, as Codat's server time would be: only the rest is our own time.
    codat_p50 = statistics.median(handoff["codat ms"]) if handoff["codat ms"] else math.nan
    print(f"  hand-off p50 {handoff['p50']:.1f} ms; Codat's p50 as our client measured it {codat_p50:.1f} ms "
          f"({len(handoff['codat ms'])} mints logged); our own time {handoff['p50'] - codat_p50:.1f} ms")
    print(f"  Codat calls per warm page view: {sum(calls.values()) / views:.3f} ({sum(calls.values())} calls in "
          f"{views} views{'; ' + str(calls) if calls else ''})")
    cold = statistics.median(cold_html) * 1000
    print(f"  cold selection page, alone, every Codat call at {args.cold_latency_ms} ms: HTML median {cold:.0f} ms "
          f"= {cold / args.cold_latency_ms:.2f} x the latency ({', '.join(f'{s * 1000:.0f}' for s in cold_html)} ms); "
          f"until its {images} images had loaded, median {statistics.median(cold_loaded) * 1000:.0f} ms")
    print(f"  gunicorn worker RSS after the run: {', '.join(f'{mb:.0f} MB' for mb in rss)} "
          f"(max {max(rss, default=math.nan):.0f} MB; target < {RSS_TARGET_MB} MB); "
          f"the hand-off's server: {', '.join(f'{mb:.0f} MB' for mb in handoff['rss'])}")
    return {
        "selection": results["selection page"]["rps"] / login,
        "connection": results["connection page"]["rps"] / login,
        "staff list": results["staff merchant list"]["rps"] / login,
        "hand-off injected": handoff["p50"] - args.codat_latency_ms,
        "hand-off measured": handoff["p50"] - codat_p50,
        "cold": cold / args.cold_latency_ms,
        "codat calls": sum(calls.values()) / views,
        "rss": max(rss + handoff["rss"], default=math.nan),
    }


def print_summary(args, runs: list[dict[str, float]]) -> None:
    """Each figure against its target: the median of the runs, and their spread when there were several."""
    print(f"\nSummary (issue 17, Speed){f': median of {len(runs)} runs, spread min–max' if len(runs) > 1 else ''}")
    print(f"  {'figure':70} {'now':>9} {'spread':>17} {'target':>9}  met")
    for key, figure in figures(args).items():
        values = [run[key] for run in runs if not math.isnan(run[key])]
        now = statistics.median(values) if values else math.nan
        spread = f"{figure.show(min(values), unit=False)}–{figure.show(max(values))}" if len(values) > 1 else "-"
        met = "met" if not math.isnan(now) and figure.met(now) else "not met"
        print(f"  {figure.label:70} {figure.show(now):>9} {spread:>17} {figure.target:>9}  {met}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--codat-latency-ms", type=int, default=50, help="Codat's latency on each hand-off mint")
    parser.add_argument("--cold-latency-ms", type=int, default=150, help="Codat's latency on each cold-page call")
    parser.add_argument("--repeat", type=int, default=1, help="whole measurements; the summary gives median and spread")
    parser.add_argument("--workers", type=int, default=None, help="WEB_CONCURRENCY (default: gunicorn.conf.py's)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (Debian), or `make bench-load` which installs it.")

    ensure_database(POSTGRES)
    port = free_port()  # both servers of a run take it in turn: the CSRF origin names it
    origin = f"https://127.0.0.1:{port}"
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
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        **({"WEB_CONCURRENCY": str(args.workers)} if args.workers else {}),
    }
    setup_django(env)
    from django.core.management import call_command

    print("\n".join(describe_machine(env)), flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)  # as the image build does
    warm_branding()
    from merchants.models import Merchant

    merchant_cookie = cookie_header(merchant_session())
    listed = bench_merchants(STAFF_MERCHANTS)
    staff_cookie = staff_session()
    bench = Bench(
        env=env, port=port, origin=origin, merchant_cookie=merchant_cookie,
        linked=[Merchant.objects.get(identifier="Bench Merchant"), *listed[::LINKED_EVERY]],
        pages=[
            ("selection page", "/", merchant_cookie),
            ("connection page", "/connection/", merchant_cookie),
            ("staff merchant list", "/staff/", staff_cookie),
            ("staff merchant page", f"/staff/merchants/{listed[0].pk}/", staff_cookie),  # linked, with a snapshot
        ],
    )
    runs = []
    for number in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"\nRun {number} of {args.repeat}")
        runs.append(measure(args, bench))
        sys.stdout.flush()
    print_summary(args, runs)


if __name__ == "__main__":
    main()
