"""/healthz through the buffering proxy while every hand-off slot waits on a slow Codat.

    .venv/bin/python bench/proxy.py [--codat-seconds 12] [--duration 20] [--workers 2] [--threads 8]

Starts gunicorn with gunicorn.conf.py (gthread; CODAT_HANDOFF_CONCURRENCY = half the threads
per process) behind Debian's nginx running deploy/nginx.conf, the embedded sandbox answering
every Sync Flow mint after --codat-seconds. Twice as many clients as there are hand-off slots
keep posting the Link button (each slot then waits on Codat; the extra starts get the 503 page at
once), while one client asks for /healthz through the proxy every 50 ms and another the login page
every 200 ms. Prints their latencies (p50, p99, max), how many hand-offs were waiting on Codat
while it measured, and how the link starts ended. A figure, not a test: nothing here asserts.
Loopback only; stops by itself. `make bench-proxy` installs nginx first.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import merchant_session, setup_django  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codat-seconds", type=float, default=12.0)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of measurement")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    database = Path(tempfile.mkdtemp(prefix="bench-proxy-")) / "db.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://",
        "DEBUG": "true",  # sandbox mode over plain HTTP: the proxy is the subject here
        "LINK_RATE_LIMIT": "0",
        "PROXY_COUNT": "1",
        # Codat answers after --codat-seconds: the read timeout must outlast it, or it would be a timeout.
        "CODAT_READ_TIMEOUT": str(args.codat_seconds + 5),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "CODAT_SANDBOX_WEBHOOK_DELIVERY": "false",
    }
    setup_django(env)
    from django.core.management import call_command

    from codat_sandbox import faults
    from integrations.models import LinkAttempt
    from tests.proxy.nginx import nginx_in_front_of
    from tests.servers import gunicorn

    call_command("refresh_branding", "--force", stdout=open(os.devnull, "w"))
    cookies = merchant_session()
    call_command("bind_companies", "Bench Merchant", stdout=open(os.devnull, "w"))
    faults.reset()
    LinkAttempt.objects.all().delete()
    slots = args.workers * max(1, args.threads // 2)
    server_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}

    with gunicorn(server_env, workers=args.workers, threads=args.threads) as app, nginx_in_front_of(app) as proxy:
        with httpx.Client(cookies=cookies, timeout=30) as browser:
            for _ in range(args.workers * 4):  # warm every worker
                browser.get(f"{proxy}/")
            page = browser.get(f"{proxy}/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            csrf_cookie = dict(browser.cookies)["csrftoken"]
        faults.inject("get-sync-flow-url", latency_ms=int(args.codat_seconds * 1000))

        stop = threading.Event()
        starts: Counter[int] = Counter()
        lock = threading.Lock()

        def hand_offs():
            with httpx.Client(cookies={**cookies, "csrftoken": csrf_cookie}, timeout=60) as client:
                while not stop.is_set():
                    status = client.post(f"{proxy}/link/", data={"platform_key": "gbol", "csrfmiddlewaretoken": token}).status_code
                    with lock:
                        starts[status] += 1
                    if status != 302:
                        stop.wait(0.25)  # refused at once: come back soon, as an impatient merchant would

        def sample(path: str, every: float, into: list[float], failures: Counter):
            with httpx.Client(timeout=10) as client:
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        status = client.get(f"{proxy}{path}").status_code
                    except httpx.HTTPError as exc:
                        failures[type(exc).__name__] += 1
                    else:
                        into.append((time.monotonic() - started) * 1000)
                        if status != 200:
                            failures[status] += 1
                    stop.wait(every)

        clients = [threading.Thread(target=hand_offs) for _ in range(2 * slots)]
        for thread in clients:
            thread.start()
        # Until every slot waits on Codat (pending attempts), then measure.
        deadline = time.monotonic() + 30
        while LinkAttempt.objects.filter(outcome="pending").count() < slots and time.monotonic() < deadline:
            time.sleep(0.1)
        healthz, login, failures = [], [], Counter()
        samplers = [
            threading.Thread(target=sample, args=("/healthz", 0.05, healthz, failures)),
            threading.Thread(target=sample, args=("/accounts/login/", 0.2, login, failures)),
        ]
        waiting = []
        for thread in samplers:
            thread.start()
        measure_until = time.monotonic() + args.duration
        while time.monotonic() < measure_until:
            waiting.append(LinkAttempt.objects.filter(outcome="pending").count())
            time.sleep(0.5)
        stop.set()
        for thread in samplers + clients:
            thread.join(60)
    faults.reset()
    outcomes = Counter(LinkAttempt.objects.values_list("outcome", "failure_reason"))

    print(f"Proxy benchmark: nginx (deploy/nginx.conf) -> gunicorn gthread {args.workers} workers x {args.threads} threads, "
          f"{slots} hand-off slots, Codat answering every mint after {args.codat_seconds:g} s, {os.cpu_count()} cores, sqlite")
    print(f"  hand-offs waiting on Codat while measuring: min {min(waiting)} max {max(waiting)} (slots: {slots})")
    for name, values in (("/healthz through the proxy", healthz), ("login page through the proxy", login)):
        print(f"  {name:30} n={len(values):4d}  p50 {statistics.median(values):7.1f} ms  p99 {percentile(values, 99):7.1f} ms"
              f"  max {max(values):7.1f} ms")
    print(f"  link starts: {dict(starts)}  (302: redirected after Codat answered; 503: every slot busy, refused at once)")
    print(f"  attempts: {dict(outcomes)}  failures while sampling: {dict(failures) or 'none'}")


if __name__ == "__main__":
    main()
