"""Demo referrals: nothing without cases; one in every state with them; reset removes them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from palermo.accounts.models import Organisation
from palermo.accounts.roles import Role
from palermo.cases.models import Case
from palermo.demo.loader import DemoContext
from palermo.referrals import demo
from palermo.referrals.models import Referral
from palermo.testing import OrganisationFactory, member

from .records import make_case

pytestmark = pytest.mark.django_db


def _context(organisations: dict[str, Organisation]) -> DemoContext:
    return DemoContext(seed=2000, size=10, organisations=organisations, users={}, progress=None)


def test_no_cases_no_referrals() -> None:
    orgs = {"shelter": OrganisationFactory(name="Casa Speranței Shelter")}
    assert demo.load_demo(_context(orgs)) == {"referrals": 0}
    assert Referral.objects.count() == 0


def test_every_state_between_demo_organisations() -> None:
    orgs = {key: OrganisationFactory(name=key) for key in ("shelter", "clinic", "wings", "social")}
    worker = member(Role.CASE_WORKER, orgs["shelter"])
    member(Role.SERVICE_PROVIDER, orgs["clinic"])
    member(Role.CASE_WORKER, orgs["wings"])
    member(Role.CASE_WORKER, orgs["social"])
    for _ in range(12):
        make_case(worker)
    counts = demo.load_demo(_context(orgs))
    assert counts == {"referrals": len(demo.PLAN)}
    states = set(Referral.objects.values_list("state", flat=True))
    assert states == {"pending", "accepted", "in_progress", "done", "declined", "revoked"}
    assert Referral.objects.filter(kind="transfer", state="pending").count() == 1
    assert Referral.objects.filter(external_organisation_name=demo.EXTERNAL_NAME).count() == 1
    assert (
        Referral.objects.filter(state="pending", respond_by__lt=timezone.localdate()).count() == 1
    )
    assert all(r.events.exists() for r in Referral.objects.all())
    # A second load adds nothing.
    assert demo.load_demo(_context(orgs)) == {"referrals": len(demo.PLAN)}
    assert Case.objects.count() == 12
