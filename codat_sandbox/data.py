"""The sandbox's catalogue: Codat's real platform keys, with stable made-up ids.

Keys and names follow Codat's Sync for Commerce docs (shared/codat/NOTES.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    source_type: str
    source_id: str
    integration_id: str
    color: str  # used only to draw the sandbox's logo images
    enabled: bool = True
    is_beta: bool = False
    svg_logos: bool = False
    data_types: tuple[str, ...] = ()


_ACCOUNTING = ("chartOfAccounts", "invoices", "payments", "taxRates", "journalEntries")
_COMMERCE = ("commerce-orders", "commerce-payments", "commerce-products", "commerce-transactions")

PLATFORMS: tuple[Platform, ...] = (
    Platform("qudb", "Exact (NL)", "Accounting", "2f2b3a8c-6a1e-4d5b-9a3e-0c1d2e3f4a51",
             "5e7c1c1e-0b8f-4f2e-8a5d-7b9c0d1e2f31", "#e1001a", data_types=_ACCOUNTING),
    Platform("pbbf", "Exact (UK)", "Accounting", "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c72",
             "6f8d2d2f-1c9a-4a3f-9b6e-8c0d1e2f3a42", "#c20016", is_beta=True,
             data_types=_ACCOUNTING),
    Platform("fbrh", "FreeAgent", "Accounting", "4b5c6d7e-8f9a-4b1c-8d2e-3f4a5b6c7d83",
             "7a9e3e3a-2d0b-4b4a-8c7f-9d1e2f3a4b53", "#2f8a4a", svg_logos=True,
             data_types=_ACCOUNTING),
    Platform("pdvj", "MYOB", "Accounting", "5c6d7e8f-9a0b-4c2d-9e3f-4a5b6c7d8e94",
             "8b0f4f4b-3e1c-4c5b-9d8a-0e2f3a4b5c64", "#6100a5", data_types=_ACCOUNTING),
    Platform("tgff", "Sage Business Cloud Accounting", "Accounting",
             "6d7e8f9a-0b1c-4d3e-8f4a-5b6c7d8e9fa5", "9c1a5a5c-4f2d-4d6c-8e9b-1f3a4b5c6d75",
             "#008a21", enabled=False, data_types=_ACCOUNTING),
    Platform("qhyg", "QuickBooks Online", "Accounting", "7e8f9a0b-1c2d-4e4f-9a5b-6c7d8e9fa0b6",
             "0d2b6b6d-5a3e-4e7d-9f0c-2a4b5c6d7e86", "#2ca01c", data_types=_ACCOUNTING),
    Platform("gbol", "Xero", "Accounting", "8a156a5a-39cb-4f9d-856e-76ef9b9a9607",
             "0f20c943-12d0-4800-9f6c-d218f62d494c", "#13b5ea", data_types=_ACCOUNTING),
    Platform("lqai", "Sandbox POS", "Commerce", "9b0c1d2e-3f4a-4b5c-8d6e-7f8a9b0c1d27",
             "1e3c7c7e-6b4f-4f8e-8a1d-3b5c6d7e8f97", "#1f5fbf", data_types=_COMMERCE),
    Platform("fqly", "Clover", "Commerce", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c58",
             "2f4d8d8f-7c5a-4a9f-9b2e-4c6d7e8f9aa8", "#1a8f3c", data_types=_COMMERCE),
    Platform("ldgh", "Lightspeed K", "Commerce", "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d69",
             "3a5e9e9a-8d6b-4b0a-8c3f-5d7e8f9aabb9", "#e81c1c", data_types=_COMMERCE),
    Platform("fztf", "Shopify", "Commerce", "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7a",
             "4b6f0f0b-9e7c-4c1b-9d4a-6e8f9aabbcca", "#5e8e3e", data_types=_COMMERCE),
    Platform("ugxp", "Zettle by PayPal", "Commerce", "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f8b",
             "5c7a1a1c-0f8d-4d2c-8e5b-7f9aabbccddb", "#1c1c1c", data_types=_COMMERCE),
    Platform("aiwb", "Commerce Sandbox", "Commerce", "e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8a9c",
             "6d8b2b2d-1a9e-4e3d-9f6c-8aabbccddeec", "#5a5a5a", data_types=_COMMERCE),
    Platform("dfxm", "Basiq", "Banking", "f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f8a9b0d",
             "7e9c3c3e-2b0f-4f4e-8a7d-9bbccddeeffd", "#3b5bdb", data_types=("banking-accounts",)),
)

BY_KEY = {platform.key: platform for platform in PLATFORMS}


def logo_filename(platform: Platform, variant: str) -> str:
    return f"{platform.key}-{variant}.{'svg' if platform.svg_logos else 'png'}"
