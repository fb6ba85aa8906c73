"""The account types a merchant maps in Codat's Sync Flow, as Codat documents them.

Codat's API lists only the *visible* account keys (get-visible-accounts) and never says which
ones it requires, so both the full list and the required ones come from Codat's docs
(codat-docs ``docs/commerce/merchant-configuration.md``, "Summary of dropdown items available
for customization"; required ones are starred there: "must be shown to users").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyncFlowAccount:
    key: str
    name: str  # Codat's display name, unless the Sync Flow's texts change it
    stage: str  # Sales | Fees | Payments: the Sync Flow stage whose dropdowns list it
    required: bool = False  # Codat always shows it: it cannot be hidden


def _accounts(stage: str, prefix: str, entries: list[tuple[str, str, bool]]) -> list[SyncFlowAccount]:
    return [SyncFlowAccount(f"{prefix}-{suffix}", name, stage, required) for suffix, name, required in entries]


SYNC_FLOW_ACCOUNTS: tuple[SyncFlowAccount, ...] = (
    *_accounts("Sales", "sales-accounts", [
        ("sales", "Sales", True),
        ("refund", "Refund", True),
        ("gratuity", "Gratuity", False),
        ("prepaid", "Prepaid", False),
    ]),
    *_accounts("Sales", "sales-taxRates", [
        ("0", "0% tax rate", True),
        ("5", "5% tax rate", True),
        ("10", "10% tax rate", True),
        ("20", "20% tax rate", True),
    ]),
    *_accounts("Sales", "sales-other", [
        ("invoiceStatus", "Invoice status", True),
        ("groupingPeriod", "Grouping period", True),
    ]),
    *_accounts("Fees", "fees-accounts", [
        ("paymentFee", "Payment fee", False),
        ("paymentFeeRefund", "Payment fee refund", False),
        ("loan", "Loan", False),
        ("loanPayment", "Loan payment", False),
        ("loanFee", "Loan fee", False),
        ("cashback", "Cashback", False),
    ]),
    *_accounts("Payments", "payments-accounts", [
        ("card", "Card", True),
        ("cash", "Cash", False),
        ("invoice", "Invoice", False),
        ("onlineCard", "Online card", False),
        ("payout", "Payout", False),
        ("custom", "Custom", False),
        ("storeCredit", "Store credit", False),
        ("paypal", "Paypal", False),
        ("paypalQr", "Paypal QR", False),
        ("mobile", "Mobile", False),
        ("vipps", "Vipps", False),
        ("swish", "Swish", False),
        ("prepaidPayment", "Prepaid payment", False),
        ("manual", "Manual", False),
    ]),
)

SYNC_FLOW_ACCOUNTS_BY_KEY = {account.key: account for account in SYNC_FLOW_ACCOUNTS}
REQUIRED_ACCOUNT_KEYS = frozenset(account.key for account in SYNC_FLOW_ACCOUNTS if account.required)
