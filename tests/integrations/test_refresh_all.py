"""The report every "refresh all" caller prints: what was refreshed, kept and failed."""

from integrations.services.refresh_all import FAILED, KEPT, REFRESHED, EntryResult, RefreshReport


def test_counts_failures_and_summary():
    report = RefreshReport(
        catalogue=REFRESHED,
        entries=[
            EntryResult("aaaa", REFRESHED),
            EntryResult("bbbb", KEPT),
            EntryResult("cccc", FAILED, "Codat get-integration-branding failed with HTTP 500"),
            EntryResult("dddd", REFRESHED, "square logo: not an image"),  # refreshed, but not cleanly
        ],
    )
    assert (report.count(REFRESHED), report.count(KEPT), report.count(FAILED)) == (2, 1, 1)
    assert report.failures == ["cccc", "dddd"]
    assert not report.ok
    assert report.summary() == "2 refreshed, 1 kept, 2 failed"


def test_a_failed_catalogue_is_named_first():
    report = RefreshReport(catalogue=FAILED, catalogue_problem="HTTP 503", entries=[EntryResult("aaaa", FAILED, "x")])
    assert report.failures == ["catalogue", "aaaa"]
    assert report.summary() == "0 refreshed, 0 kept, 2 failed"


def test_nothing_to_do_is_ok():
    report = RefreshReport(entries=[EntryResult("aaaa", KEPT)])
    assert report.ok and report.failures == [] and report.summary() == "0 refreshed, 1 kept, 0 failed"


def test_entry_failed():
    assert EntryResult("a", FAILED).failed
    assert EntryResult("a", REFRESHED, "logo rejected").failed
    assert not EntryResult("a", REFRESHED).failed and not EntryResult("a", KEPT).failed
