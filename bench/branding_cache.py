"""Branding cache benchmark: how often the selection page reaches Codat, and how long it takes.

    .venv/bin/python bench/branding_cache.py [--latency-ms 150] [--burst 50] [--warm-views 200]

With the sandbox answering every Codat call after --latency-ms, it prints:
Codat calls per warm page view, Codat calls for a cold burst of concurrent
page views, and cold-page and warm-page times. The app runs under gunicorn
(gunicorn.conf.py) on DATABASE_URL / CACHE_URL if set, else a throwaway
SQLite file and per-process memory cache.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import gunicorn, merchant_session, setup_django, summary_ms  # noqa: E402


def reset_cache_and_counts():
    from django.core.cache import cache

    from codat_sandbox import faults
    from integrations.models import CatalogueState, Integration

    Integration.objects.all().delete()  # logos go with them
    CatalogueState.objects.all().delete()
    faults.reset()
    cache.clear()


def codat_calls() -> dict[str, int]:
    from codat_sandbox.faults import call_counts

    return call_counts()


def settle(timeout: float = 10.0) -> None:
    """Wait until no branding refresh is under way: a cold page starts them and answers before they end."""
    from django.utils import timezone

    from integrations.models import Integration

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Integration.objects.filter(lease_until__gt=timezone.now()).exists():
        time.sleep(0.05)
    time.sleep(0.2)  # a refresh's last writes after its lease is released


def images_loaded(browser: httpx.Client, url: str, html: str) -> None:
    """Fetch every tile image the page names, at once, as a browser does; fail loudly on a broken one."""
    sources = re.findall(r'<img src="([^"]+)"', html)
    with ThreadPoolExecutor(max_workers=max(1, len(sources))) as pool:
        statuses = list(pool.map(lambda src: browser.get(f"{url}{src}").status_code, sources))
    if any(status != 200 for status in statuses):
        raise SystemExit(f"images on the cold page did not load: {list(zip(sources, statuses))}")


def timed_get(browser: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = browser.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=int, default=150, help="sandbox latency on every Codat call")
    parser.add_argument("--burst", type=int, default=50, help="concurrent cold page views")
    parser.add_argument("--warm-views", type=int, default=200, help="sequential warm page views")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (the burst needs concurrency)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-branding-")
    env = {
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"),
        "CACHE_URL": os.environ.get("CACHE_URL", "locmemcache://bench"),
        "DEBUG": "true",
        "LOG_LEVEL": "WARNING",
        "LINK_RATE_LIMIT": "0",
    }
    setup_django(env)
    from codat_sandbox import faults
    from integrations.services.offering import offered_source_type  # noqa: F401  (app loaded)

    cookies = merchant_session()
    reset_cache_and_counts()
    with gunicorn(env, workers=args.workers, threads=args.threads) as url:
        faults.inject("*", latency_ms=args.latency_ms)
        with httpx.Client(cookies=cookies, timeout=60) as browser:
            # 1. One cold page view, alone: the page, then every logo on it (the page no longer
            # waits for branding: its tiles' logos arrive through /logos/for/<key>/).
            started = time.perf_counter()
            page = browser.get(f"{url}/")
            cold_single = time.perf_counter() - started
            images_loaded(browser, url, page.text)
            cold_complete = time.perf_counter() - started
            settle()
            cold_single_calls = codat_calls()

            # 2. A cold burst: everything forgotten, then --burst concurrent views.
            reset_cache_and_counts()
            faults.inject("*", latency_ms=args.latency_ms)
            timings: list[float] = []
            barrier = threading.Barrier(args.burst)

            def view():
                with httpx.Client(cookies=cookies, timeout=60) as own:
                    barrier.wait()
                    timings.append(timed_get(own, f"{url}/"))

            threads = [threading.Thread(target=view) for _ in range(args.burst)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            settle()  # let the refreshes the burst started finish
            burst_calls = codat_calls()

            # 3. Warm views.
            faults.reset()
            faults.inject("*", latency_ms=args.latency_ms)
            warm = [timed_get(browser, f"{url}/") for _ in range(args.warm_views)]
            warm_calls = sum(codat_calls().values())

    offered = 7
    print(f"Branding cache benchmark: sandbox latency {args.latency_ms} ms on every Codat call, "
          f"gunicorn {args.workers} workers x {args.threads} threads, {env['DATABASE_URL'].split(':')[0]} database")
    print(f"  cold page view (alone)           {cold_single * 1000:7.1f} ms, its {offered} logos loaded after "
          f"{cold_complete * 1000:.1f} ms; Codat calls {sum(cold_single_calls.values())} "
          f"{dict(sorted(cold_single_calls.items()))}")
    print(f"  cold burst of {args.burst} concurrent views  {summary_ms(timings)}")
    print(f"    Codat calls for the whole burst: {sum(burst_calls.values())} {dict(sorted(burst_calls.items()))}"
          f"  (ideal: 1 catalogue + {offered} branding + {2 * offered} logo images)")
    print(f"  warm page views ({args.warm_views})          {summary_ms(warm)}")
    print(f"    Codat calls per warm page view: {warm_calls / args.warm_views:.3f} ({warm_calls} in {args.warm_views} views)")


if __name__ == "__main__":
    main()
