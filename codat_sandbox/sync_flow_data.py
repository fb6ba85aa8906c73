"""The Sync Flow's default texts and its account types, as the sandbox's Codat ships them.

Keys follow Codat's docs (shared/codat/NOTES.md §4, `commerce/merchant-configuration.md`),
including their oddities (``configure-setupSidebar=checkboxes-syncSchedule``; tax-rate text keys
0/10/15/20 while the account keys are 0/5/10/20). The texts themselves are the sandbox's own:

* The docs give English defaults only, some naming platforms ("Connect to {commerce software
  name}"). How Codat inserts names is undocumented; the sandbox writes ``{commerce}`` and
  ``{accounting}`` and its stand-in Sync Flow fills them in.
* The title keeps the stand-in's long-standing "Set up your sales sync" (the docs say
  "Set up Sync to {platform name}"), and each tax-rate text is labelled by its own key's number.
* ``required`` (the spec's "`True` if required") is undocumented; here it marks the texts a
  merchant cannot move through the flow without (title, steps, buttons, stage titles): the sandbox
  refuses to make those show nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCALES = ("en-us", "fr-fr")
MAX_TEXT_LENGTH = 500

# key -> (en-us, fr-fr, required)
_TEXTS: dict[str, tuple[str, str, bool]] = {
    "configure-setupSidebar-title": ("Set up your sales sync", "Configurez la synchronisation de vos ventes", True),
    "configure-setupSidebar-checkboxes-connectToCommerce": ("Connect to {commerce}", "Se connecter à {commerce}", True),
    "configure-setupSidebar-checkboxes-connectToAccounting": ("Connect to {accounting}", "Se connecter à {accounting}", True),
    "configure-setupSidebar-checkboxes-sales": ("Set up sales", "Configurer les ventes", True),
    "configure-setupSidebar-checkboxes-fees": ("Set up fees", "Configurer les frais", True),
    "configure-setupSidebar-checkboxes-payments": ("Set up payments", "Configurer les paiements", True),
    "configure-setupSidebar=checkboxes-syncSchedule": ("Set up sync schedule", "Configurer le calendrier de synchronisation", True),
    "configure-misc-previousButton": ("Previous", "Précédent", True),
    "configure-misc-nextButton": ("Next", "Suivant", True),
    "configure-required-indicator": ("Indicates a required field", "Indique un champ obligatoire", False),
    "configure-content-sales-title": ("Sales", "Ventes", True),
    "configure-content-sales-description": ("", "", False),
    "configure-content-fees-title": ("Fees", "Frais", True),
    "configure-content-fees-description": ("", "", False),
    "configure-content-payments-title": ("Payments", "Paiements", True),
    "configure-content-payments-description": ("", "", False),
    "configure-content-sales-accounts-title": ("Accounts", "Comptes", False),
    "configure-content-sales-accounts-description": (
        "Configure accounts mapping from {commerce} to {accounting}.",
        "Configurez la correspondance des comptes de {commerce} vers {accounting}.",
        False,
    ),
    "configure-content-sales-taxRates-title": ("Tax rates", "Taux de TVA", False),
    "configure-content-sales-taxRates-description": (
        "Configure tax rates mapping from {commerce} to {accounting}.",
        "Configurez la correspondance des taux de TVA de {commerce} vers {accounting}.",
        False,
    ),
    "configure-content-sales-other-title": ("Other", "Autres", False),
    "configure-content-sales-other-description": ("", "", False),
    "configure-content-fees-accounts-title": ("Accounts", "Comptes", False),
    "configure-content-fees-accounts-description": (
        "Configure accounts mapping from {commerce} to {accounting}.",
        "Configurez la correspondance des comptes de {commerce} vers {accounting}.",
        False,
    ),
    "configure-content-sales-accounts-entries-sales": ("Sales", "Ventes", False),
    "configure-content-sales-accounts-entries-refund": ("Refunds", "Remboursements", False),
    "configure-content-sales-accounts-entries-gratuity": ("Gratuity", "Pourboires", False),
    "configure-content-sales-accounts-entries-prepaid": ("Prepaid", "Prépayé", False),
    "configure-content-sales-accounts-entries-sales-other": ("Other sales", "Autres ventes", False),
    "configure-content-sales-accounts-taxRates-entries-0": ("0% tax rate", "TVA à 0 %", False),
    "configure-content-sales-accounts-taxRates-entries-10": ("10% tax rate", "TVA à 10 %", False),
    "configure-content-sales-accounts-taxRates-entries-15": ("15% tax rate", "TVA à 15 %", False),
    "configure-content-sales-accounts-taxRates-entries-20": ("20% tax rate", "TVA à 20 %", False),
    "configure-content-sales-other-entries-invoiceStatus": ("Invoice status", "Statut de la facture", False),
    "configure-content-sales-other-entries-groupingPeriod": ("Grouping period", "Période de regroupement", False),
    "configure-content-fees-accounts-entries-paymentFee": ("Payment fee", "Frais de paiement", False),
    "configure-content-fees-accounts-entries-paymentFeeRefund": ("Payment fee refund", "Remboursement des frais de paiement", False),
    "configure-content-fees-accounts-entries-loan": ("Loan", "Prêt", False),
    "configure-content-fees-accounts-entries-loanPayment": ("Loan payment", "Remboursement de prêt", False),
    "configure-content-fees-accounts-entries-loanFee": ("Loan fee", "Frais de prêt", False),
    "configure-content-fees-accounts-entries-cashback": ("Cashback", "Cashback", False),
    "configure-content-payments-accounts-entries-card": ("Card", "Carte", False),
    "configure-content-payments-accounts-entries-cash": ("Cash", "Espèces", False),
    "configure-content-payments-accounts-entries-invoice": ("Invoice", "Facture", False),
    "configure-content-payments-accounts-entries-onlineCard": ("Online card", "Carte en ligne", False),
    "configure-content-payments-accounts-entries-payout": ("Payout", "Versement", False),
    "configure-content-payments-accounts-entries-custom": ("Custom", "Personnalisé", False),
    "configure-content-payments-accounts-entries-storeCredit": ("Store credit", "Avoir", False),
    "configure-content-payments-accounts-entries-paypal": ("PayPal", "PayPal", False),
    "configure-content-payments-accounts-entries-paypalQr": ("PayPal QR", "PayPal QR", False),
    "configure-content-payments-accounts-entries-mobile": ("Mobile", "Mobile", False),
    "configure-content-payments-accounts-entries-vipps": ("Vipps", "Vipps", False),
    "configure-content-payments-accounts-entries-swish": ("Swish", "Swish", False),
    "configure-content-payments-accounts-entries-prepaidPayment": ("Prepaid payment", "Paiement prépayé", False),
    "configure-content-payments-accounts-entries-manual": ("Manual", "Manuel", False),
}

TEXT_KEYS: tuple[str, ...] = tuple(_TEXTS)
REQUIRED_TEXT_KEYS = frozenset(key for key, (_, _, required) in _TEXTS.items() if required)


def default_text(locale: str, key: str) -> str:
    return _TEXTS[key][LOCALES.index(locale)]


@dataclass(frozen=True)
class Account:
    key: str
    name: str
    stage: str  # sales | fees | payments
    section: str  # the stage's subsection: accounts | taxRates | other
    required: bool = False

    @property
    def text_key(self) -> str:
        """The text that labels it in the Sync Flow (the docs have none for the 5% tax rate)."""
        if self.section == "taxRates":
            return f"configure-content-sales-accounts-taxRates-entries-{self.key.rsplit('-', 1)[1]}"
        return f"configure-content-{self.stage}-{self.section}-entries-{self.key.rsplit('-', 1)[1]}"


def _accounts(stage: str, section: str, entries: str) -> list[Account]:
    """``entries``: ``suffix:Name`` pairs separated by ``;``; a ``*`` after the suffix marks a required one."""
    accounts = []
    for entry in entries.split(";"):
        suffix, name = entry.strip().split(":")
        required = suffix.endswith("*")
        suffix = suffix.rstrip("*")
        accounts.append(Account(f"{stage}-{section}-{suffix}", name, stage, section, required))
    return accounts


# Codat's docs: every dropdown item, those marked * "must be shown to users".
ACCOUNTS: tuple[Account, ...] = (
    *_accounts("sales", "accounts", "sales*:Sales; refund*:Refund; gratuity:Gratuity; prepaid:Prepaid"),
    *_accounts("sales", "taxRates", "0*:0% tax rate; 5*:5% tax rate; 10*:10% tax rate; 20*:20% tax rate"),
    *_accounts("sales", "other", "invoiceStatus*:Invoice status; groupingPeriod*:Grouping period"),
    *_accounts(
        "fees",
        "accounts",
        "paymentFee:Payment fee; paymentFeeRefund:Payment fee refund; loan:Loan; loanPayment:Loan payment;"
        " loanFee:Loan fee; cashback:Cashback",
    ),
    *_accounts(
        "payments",
        "accounts",
        "card*:Card; cash:Cash; invoice:Invoice; onlineCard:Online card; payout:Payout; custom:Custom;"
        " storeCredit:Store credit; paypal:Paypal; paypalQr:Paypal QR; mobile:Mobile; vipps:Vipps; swish:Swish;"
        " prepaidPayment:Prepaid payment; manual:Manual",
    ),
)
ACCOUNT_KEYS: tuple[str, ...] = tuple(account.key for account in ACCOUNTS)
REQUIRED_ACCOUNT_KEYS = frozenset(account.key for account in ACCOUNTS if account.required)
