"""Intake's demo data: deterministic, multilingual, with identifiers; loaded twice, once."""

from __future__ import annotations

import pytest

from palermo.accounts.models import OrganisationType
from palermo.demo.loader import DemoContext
from palermo.intake import demo
from palermo.intake.models import Campaign, Contact, Escalation, Identifier, Situation
from palermo.testing import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_demo_contacts_are_deterministic_and_multilingual() -> None:
    hotline = OrganisationFactory(name="Drum Sigur Hotline", country="MD")
    police = OrganisationFactory(
        name="Police", country="MD", org_type=OrganisationType.LAW_ENFORCEMENT
    )
    context = DemoContext(
        seed=2000,
        size=300,
        organisations={"hotline": hotline, "police": police},
        users={"hotline": UserFactory(username="hotline")},
        progress=None,
    )
    counts = demo.load_demo(context)
    narratives = sorted(c.narrative for c in Contact.objects.all())
    assert counts["contacts"] == Contact.objects.count() == 360
    assert counts["identifiers"] == Identifier.objects.count() > 360
    assert Campaign.objects.filter(receives_web_tips=True).count() == 1
    assert Escalation.objects.exists()
    assert counts["situations"] == Situation.objects.count() >= 6
    assert Situation.objects.filter(status="closed").exists()
    assert all(s.contacts.count() >= 2 for s in Situation.objects.all())
    assert {c.language for c in Contact.objects.all()} >= {"ro", "ru", "uk", "ne", "vi"}
    assert set(Identifier.objects.values_list("kind", flat=True)) >= {"phone", "place", "money"}
    again = demo.load_demo(context)
    assert again == counts
    assert sorted(c.narrative for c in Contact.objects.all()) == narratives
    assert Situation.objects.count() == counts["situations"]  # replaced, not added to
