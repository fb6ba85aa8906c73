"""Tiles: their order on the selection page and the monogram shown when there is no logo."""

import pytest

from integrations.services.offering import Offer


def offer(name, *, enabled=True, is_beta=False):
    return Offer(key="abcd", name=name, enabled=enabled, is_beta=is_beta)


def test_linkable_a_to_z_beta_included_then_coming_soon_a_to_z_whatever_the_case():
    tiles = [
        offer("sage", enabled=False),
        offer("Zoho Books", is_beta=True),
        offer("xero"),
        offer("Acme Beta", is_beta=True),
        offer("Exact (UK)", enabled=False, is_beta=True),  # not enabled: coming soon, beta or not
        offer("FreeAgent"),
    ]
    assert [t.name for t in sorted(tiles, key=lambda t: t.sort_key)] == [
        "Acme Beta", "FreeAgent", "xero", "Zoho Books",
        "Exact (UK)", "sage",
    ]


@pytest.mark.parametrize(
    "name, initials",
    [
        ("Xero", "X"),
        ("QuickBooks Online", "QO"),
        ("Sage Business Cloud Accounting", "SB"),  # two at most
        ("Exact (NL)", "EN"),
        ("(beta) Books", "BB"),
        ("- Shop", "S"),  # words that start with punctuation are skipped
        ("123 Accounting", "1A"),
        ("ölfus bókhald", "ÖB"),
        ("", "?"),
        ("()", "?"),
    ],
)
def test_monogram_initials(name, initials):
    assert offer(name).initials == initials
