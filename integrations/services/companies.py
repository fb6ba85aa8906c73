"""Binding each merchant to exactly one Codat company, created by us on its first link start.

The company's id is then the Sync Flow's merchantIdentifier (as Codat's own Sync
Flow guide does); a request never chooses the company. The binding row is the
lock: whoever takes its lease creates the company, everyone else waits for the
id. create-company is not idempotent and never retried automatically; if its
answer is lost (a timeout after Codat acted), the next attempt first looks for
a company tagged with this merchant before creating another.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone

from merchants.models import Merchant

from ..codat import CodatClient, CodatTimeoutError, Company, get_codat_client
from ..models import CompanyBinding
from . import leases
from .connections import connection_snapshot_start

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05
# Codat's CreateCompany.name pattern: ^[A-Za-z0-9\s\-',&@.,?!\s]+$
_NOT_ALLOWED_IN_NAME = re.compile(r"[^A-Za-z0-9\s\-',&@.?!]")
TAG_VALUE_MAX = 100
MERCHANT_ID_TAG = "portalMerchantId"


def company_name(merchant: Merchant) -> str:
    """The merchant identifier without the characters Codat refuses in a company name.

    Accented letters keep their base letter and any dash becomes "-" ("Café—Crème" →
    "Cafe-Creme"), so the name stays recognisable in Codat's portal.
    """
    decomposed = unicodedata.normalize("NFKD", merchant.identifier)
    plain = "".join(
        "-" if unicodedata.category(ch) == "Pd" else ch for ch in decomposed if not unicodedata.combining(ch)
    )
    name = " ".join(_NOT_ALLOWED_IN_NAME.sub("", plain).split())
    return name or f"merchant-{merchant.pk}"


def company_tags(merchant: Merchant) -> dict[str, str]:
    return {
        "merchantIdentifier": merchant.identifier[:TAG_VALUE_MAX],
        "merchantName": merchant.name[:TAG_VALUE_MAX],
        MERCHANT_ID_TAG: str(merchant.pk),
    }


def company_bound(merchant: Merchant) -> str | None:
    """The merchant's company id, if it has one; never calls Codat."""
    return (
        CompanyBinding.objects.filter(merchant=merchant, company_id__isnull=False)
        .values_list("company_id", flat=True)
        .first()
    )


def company_bind(*, merchant: Merchant, deadline: float, codat: CodatClient | None = None) -> str:
    """The merchant's company id, creating the company first if it has none.

    ``deadline`` (a time.monotonic() value) bounds the wait for a concurrent
    creation. Raises CodatError when Codat fails (nothing is bound; the next
    link start tries again) and CodatTimeoutError when the deadline passes.
    """
    if Merchant.codat_company.is_cached(merchant):  # loaded with the login (integrations.auth)
        loaded = getattr(merchant, "codat_company", None)
        if loaded is not None and loaded.company_id:  # bound once, bound for good
            return loaded.company_id
    binding = _binding_row(merchant)
    while True:
        if binding.company_id:
            return binding.company_id
        unbound = CompanyBinding.objects.filter(pk=merchant.pk, company_id__isnull=True)
        if leases.acquire(unbound):
            try:
                return _create(merchant, binding, codat or get_codat_client())
            finally:
                CompanyBinding.objects.filter(pk=merchant.pk).update(lease_until=None)
        if time.monotonic() >= deadline:
            raise CodatTimeoutError(
                "another request is still creating this merchant's Codat company", operation="create-company"
            )
        time.sleep(POLL_SECONDS)
        binding.refresh_from_db()


def _binding_row(merchant: Merchant) -> CompanyBinding:
    try:
        with transaction.atomic():
            binding, _ = CompanyBinding.objects.get_or_create(merchant=merchant)
    except IntegrityError:  # a concurrent first click made the row first
        binding = CompanyBinding.objects.get(merchant=merchant)
    return binding


def _create(merchant: Merchant, binding: CompanyBinding, codat: CodatClient) -> str:
    binding.refresh_from_db()
    if binding.company_id:  # bound while we waited for the lease
        return binding.company_id
    company = _find_orphan(merchant, codat) if binding.create_requested_at else None
    if company is None:
        CompanyBinding.objects.filter(pk=merchant.pk).update(create_requested_at=timezone.now())
        company = codat.create_company(
            name=company_name(merchant),
            description=f"{merchant.name} (POS merchant identifier: {merchant.identifier})",
            tags=company_tags(merchant),
        )
    CompanyBinding.objects.filter(pk=merchant.pk).update(company_id=company.id, bound_at=timezone.now())
    connection_snapshot_start(merchant=merchant, company_id=company.id)
    logger.info("merchant %s bound to Codat company %s", merchant.pk, company.id)
    return company.id


def _find_orphan(merchant: Merchant, codat: CodatClient) -> Company | None:
    """A company an earlier, unanswered create-company made for this merchant, if Codat has one."""
    tags = company_tags(merchant)
    for company in codat.list_companies():  # query does not work on companies: filter here
        if all(company.tags.get(key) == tags[key] for key in (MERCHANT_ID_TAG, "merchantIdentifier")):
            logger.info("merchant %s: adopting Codat company %s from an unanswered create", merchant.pk, company.id)
            return company
    return None
