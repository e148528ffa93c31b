"""The demo directory: loads, reloads onto the same rows, passes the real validation, resets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from palermo.demo.catalogue import ORGANISATIONS
from palermo.directory import demo
from palermo.directory.models import Provider, Service
from palermo.directory.validation import clean_provider_input, clean_service_input
from palermo.testing import OrganisationFactory

pytestmark = pytest.mark.django_db


def _context() -> SimpleNamespace:
    organisations = {
        o.key: OrganisationFactory(name=o.name, org_type=o.org_type, country=o.country, city=o.city)
        for o in ORGANISATIONS
    }
    return SimpleNamespace(
        seed=2000, size=300, organisations=organisations, users={}, progress=None
    )


def test_demo_loads_reloads_and_resets() -> None:
    context = _context()
    counts = demo.load_demo(context)
    assert counts["providers"] == len(demo.PROVIDERS)
    assert counts["confidential_addresses"] >= 5
    ids = set(Service.objects.values_list("public_id", flat=True))
    again = demo.load_demo(context)
    assert again == counts and set(Service.objects.values_list("public_id", flat=True)) == ids
    assert Provider.objects.filter(organisation=None).count() >= 3  # outside Palermo
    assert Service.objects.filter(genders__icontains='"Masculine"').exists()  # men are served
    countries = set(Provider.objects.values_list("country", flat=True))
    assert {"MD", "UA", "RO"} <= countries
    # Every demo row is something the real validation accepts.
    for provider in Provider.objects.all():
        clean_provider_input(
            {
                "name": provider.name,
                "org_type": provider.org_type,
                "country": provider.country,
                "phone": provider.phone,
            },
            creating=True,
        )
    for service in Service.objects.all():
        clean_service_input(
            {
                "service_type": service.service_type,
                "languages": service.languages,
                "genders": service.genders,
                "min_age": service.min_age,
                "max_age": service.max_age,
                "capacity": service.capacity,
                "available_places": service.available_places,
                "opening_hours": service.opening_hours,
                "phone": service.phone,
                "latitude": service.latitude,
                "longitude": service.longitude,
                "description": service.description,
            }
        )
    # The public page of the host country shows the hotline and hides every confidential address.
    body = Client().get("/help/MD/").content
    assert b"+373 800 12 345" in body
    for service in Service.objects.filter(confidential_address=True, provider__country="MD"):
        assert service.address and service.address.encode() not in body
    demo.reset_demo()
    assert not Provider.objects.exists() and not Service.objects.exists()
