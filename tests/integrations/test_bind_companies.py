"""bind_companies: Codat companies made ahead of a merchant's first link start; and the sandbox's demo link."""

import io

import pytest
from django.core.management import CommandError, call_command

from codat_sandbox import controls
from integrations.models import CompanyBinding
from tests.factories import make_merchant

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_binds_every_unbound_merchant_once(counting):
    first, _ = make_merchant(identifier="First #1")
    second, _ = make_merchant(identifier="Second")
    out = run("bind_companies")
    bindings = {b.merchant_id: b.company_id for b in CompanyBinding.objects.all()}
    assert set(bindings) == {first.pk, second.pk} and None not in bindings.values()
    assert f"First #1: Codat company {bindings[first.pk]}" in out
    assert run("bind_companies") == ""  # nothing left to bind
    assert len(controls.companies()) == 2


def test_named_merchants_only_and_unknown_names_refused(counting):
    make_merchant(identifier="Alpha")
    make_merchant(identifier="Beta")
    run("bind_companies", "Beta")
    assert [c["tags"]["merchantIdentifier"] for c in controls.companies()] == ["Beta"]
    with pytest.raises(CommandError, match="No merchant with identifier: Gamma"):
        run("bind_companies", "Gamma")


def test_codat_failure_exits_non_zero_and_binds_nothing(counting, sandbox_faults):
    make_merchant(identifier="Alpha")
    sandbox_faults.inject("create-company", status=500)
    with pytest.raises(CommandError, match="1 failed: Alpha"):
        run("bind_companies")
    assert not CompanyBinding.objects.filter(company_id__isnull=False).exists()


def test_sandbox_link_links_the_company_tagged_with_the_identifier(counting):
    make_merchant(identifier="Demo Linked Ltd.")
    run("bind_companies")
    assert run("sandbox_link", "Demo Linked Ltd.", "gbol", "--tenant", "Demo Bakery Ltd", "--sync", "2000").strip() == (
        "Demo Linked Ltd.: Xero Linked"
    )
    (company,) = controls.companies()
    assert company["configuration"]["accountingSoftwareCompanyName"] == "Demo Bakery Ltd"
    assert [sync["syncStatusCode"] for sync in company["syncs"]] == [2000]
    with pytest.raises(CommandError, match="0 sandbox companies"):
        run("sandbox_link", "Nobody", "gbol")
