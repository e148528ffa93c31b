"""The demo records: deterministic, made through the real services, removable."""

from __future__ import annotations

import pytest

from palermo.demo.loader import DemoContext
from palermo.safetravel import demo
from palermo.safetravel.models import TravelAlert, Traveller, Trip
from palermo.testing import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_demo_travellers_trips_and_alerts() -> None:
    hotline = OrganisationFactory(name="Drum Sigur Hotline", country="MD")
    context = DemoContext(
        seed=2000, size=10, organisations={"hotline": hotline}, users={}, progress=None
    )
    counts = demo.load_demo(context)
    assert counts == {"travellers": 7, "trips": 7, "alerts": 3}
    kinds = sorted(TravelAlert.objects.values_list("kind", flat=True))
    assert kinds == ["duress", "urgent", "welfare"]
    assert set(TravelAlert.objects.values_list("organisation", flat=True)) == {hotline.pk}
    assert Trip.objects.filter(status="armed").count() == 5
    demo.reset_demo()
    assert not Traveller.objects.exists() and not TravelAlert.objects.exists()
