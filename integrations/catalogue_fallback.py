"""What to offer when Codat's catalogue has never been fetched and Codat is down.

The platforms Codat documents as supported by Sync for Commerce (docs:
commerce/setup.md). Used for one render at a time, never stored as if Codat
had said it; the hand-off still asks Codat, which has the last word.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FallbackIntegration:
    key: str
    name: str
    source_type: str
    enabled: bool = True
    is_beta: bool = False


FALLBACK_CATALOGUE = (
    FallbackIntegration("qudb", "Exact (NL)", "Accounting"),
    FallbackIntegration("pbbf", "Exact (UK)", "Accounting"),
    FallbackIntegration("fbrh", "FreeAgent", "Accounting"),
    FallbackIntegration("pdvj", "MYOB", "Accounting"),
    FallbackIntegration("tgff", "Sage Accounting", "Accounting", enabled=False),
    FallbackIntegration("qhyg", "QuickBooks Online", "Accounting"),
    FallbackIntegration("gbol", "Xero", "Accounting"),
    FallbackIntegration("fqly", "Clover", "Commerce"),
    FallbackIntegration("ldgh", "Lightspeed K", "Commerce"),
    FallbackIntegration("fztf", "Shopify", "Commerce"),
    FallbackIntegration("ugxp", "Zettle by PayPal", "Commerce"),
)
