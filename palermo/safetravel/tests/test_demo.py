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


def test_the_demo_logins_name_a_traveller_who_can_sign_in_with_the_printed_pins() -> None:
    """`make demo` prints the traveller's PINs with the staff logins (palermo/demo/loader.py):
    they must be the ones the demo travellers really have."""
    from palermo.demo.loader import format_logins
    from palermo.safetravel import public_accounts

    hotline = OrganisationFactory(name="Drum Sigur Hotline", country="MD")
    demo.load_demo(
        DemoContext(seed=2000, size=0, organisations={"hotline": hotline}, users={}, progress=None)
    )
    text = format_logins([], seed=2000)
    phone = "+37369100204"
    assert phone in text and demo.DEMO_PIN in text and demo.DEMO_DURESS_PIN in text
    assert any(row[1] == phone for row in demo.TRAVELLERS)
    address = public_accounts.parse_address(phone)
    assert public_accounts.sign_in(address=address, pin=demo.DEMO_PIN).pin_kind == "normal"
    assert public_accounts.sign_in(address=address, pin=demo.DEMO_DURESS_PIN).pin_kind == "duress"
