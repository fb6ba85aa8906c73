"""Refresh the catalogue and then every integration's branding: one report for every caller.

The admin's "Refresh all", the ``refresh_branding`` command, the tests and the
benchmarks all go through branding_refresh_all, so they agree on what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..codat import CodatClient, CodatError
from ..models import Integration
from .branding import branding_refresh
from .catalogue import catalogue_refresh

REFRESHED, KEPT, FAILED = "refreshed", "kept", "failed"


@dataclass(frozen=True)
class EntryResult:
    key: str
    outcome: str  # REFRESHED, KEPT or FAILED
    # Why it failed; or, for an entry refreshed all the same, what was wrong (e.g. a rejected logo).
    problem: str = ""

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
                result = EntryResult(key, KEPT)
        except CodatError as exc:
            result = EntryResult(key, FAILED, str(exc))
        _record(report, progress, number, len(targets), result)
    return report


def _record(report: RefreshReport, progress: Progress | None, number, total, result: EntryResult) -> None:
    report.entries.append(result)
    if progress is not None:
        progress(number, total, result)
