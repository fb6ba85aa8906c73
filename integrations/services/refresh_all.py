"""Refresh the catalogue and then every integration's branding: one report for every caller.

The admin's "Refresh all", the ``refresh_branding`` command, the tests and the
benchmarks all go through branding_refresh_all, so they agree on what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..codat import CodatClient, CodatError
from ..models import Integration, Logo
from .branding import branding_refresh
from .catalogue import catalogue_refresh

REFRESHED, KEPT, FAILED = "refreshed", "kept", "failed"


@dataclass(frozen=True)
class EntryResult:
    key: str
    outcome: str  # REFRESHED, KEPT or FAILED
    # Why it failed; or, for an entry refreshed all the same, what was wrong (e.g. a rejected logo).
    problem: str = ""
    # For an entry kept while its refreshes fail: what is served meanwhile (not a failure: the cache is warm).
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED or bool(self.problem)


@dataclass
class RefreshReport:
    catalogue: str = KEPT
    catalogue_problem: str = ""
    entries: list[EntryResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(entry.outcome == outcome for entry in self.entries)

    @property
    def failures(self) -> list[str]:
        names = ["catalogue"] if self.catalogue == FAILED else []
        return names + [entry.key for entry in self.entries if entry.failed]

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return f"{self.count(REFRESHED)} refreshed, {self.count(KEPT)} kept, {len(self.failures)} failed"

    def as_dict(self) -> dict:
        """What the "Refresh all" task returns, for the admin to show as it is."""
        return {
            "summary": self.summary(),
            "refreshed": self.count(REFRESHED),
            "kept": self.count(KEPT),
            "failed": len(self.failures),
            "failures": self.failures,
            "problems": {
                **({"catalogue": self.catalogue_problem} if self.catalogue == FAILED else {}),
                **{entry.key: entry.problem for entry in self.entries if entry.failed},
            },
        }


# Told of each step as it is done: (the entry's number, or None for the catalogue and for
# refused keys; how many entries; the result).
Progress = Callable[[int | None, int, EntryResult], None]


def branding_refresh_all(
    *,
    force: bool = False,
    keys: list[str] | None = None,
    progress: Progress | None = None,
    codat: CodatClient | None = None,
) -> RefreshReport:
    """The catalogue, then the branding of ``keys`` (default: every integration Codat lists).

    Entries that are fresh are kept unless ``force``. A catalogue that cannot be
    fetched is reported, and the entries already cached are refreshed all the same.
    """
    report = RefreshReport()
    try:
        report.catalogue = REFRESHED if catalogue_refresh(force=force, codat=codat) else KEPT
    except CodatError as exc:
        report.catalogue, report.catalogue_problem = FAILED, str(exc)
    if progress is not None:
        progress(None, 0, EntryResult("catalogue", report.catalogue, report.catalogue_problem))
    known = set(Integration.objects.values_list("key", flat=True))
    targets = sorted(known) if keys is None else [key for key in keys if key in known]
    for key in keys or []:
        if key not in known:
            _record(report, progress, None, 0, EntryResult(key, FAILED, "not in Codat's catalogue"))
    for number, key in enumerate(targets, start=1):
        try:
            if branding_refresh(key, force=force, codat=codat):
                problem = Integration.objects.values_list("branding_error", flat=True).get(pk=key)
                result = EntryResult(key, REFRESHED, problem)
            else:
                result = _kept(key)
        except CodatError as exc:
            result = EntryResult(key, FAILED, str(exc))
        _record(report, progress, number, len(targets), result)
    return report


def _kept(key: str) -> EntryResult:
    """Not due, or in the back-off after an error: "kept" only if something is really cached.

    An entry whose refreshes fail and that has no logo is a monogram on the merchants' page:
    that is a failure to report, not a fresh entry.
    """
    entry = Integration.objects.filter(pk=key).values("branding_fetched_at", "branding_error", "branding_error_at").get()
    has_logo = Logo.objects.filter(integration_id=key).exists()
    error, error_at = entry["branding_error"], entry["branding_error_at"]
    failed_at = f"{error_at:%Y-%m-%d %H:%M} UTC" if error_at else "earlier"
    if not has_logo and (error or entry["branding_fetched_at"] is None):
        why = f"last refresh failed {failed_at}: {error}" if error else "never fetched"
        return EntryResult(key, FAILED, f"no logo cached (waiting to retry; {why})")
    if error and error_at and (entry["branding_fetched_at"] is None or error_at > entry["branding_fetched_at"]):
        fetched = entry["branding_fetched_at"]
        served = f"serving the copy from {fetched:%Y-%m-%d %H:%M} UTC" if fetched else "serving the logos cached before"
        return EntryResult(key, KEPT, note=f"{served}; last refresh failed {failed_at}: {error}")
    return EntryResult(key, KEPT)


def _record(report: RefreshReport, progress: Progress | None, number, total, result: EntryResult) -> None:
    report.entries.append(result)
    if progress is not None:
        progress(number, total, result)
