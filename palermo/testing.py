"""Factories and helpers for tests (and the demo data): real rows, created through real code."""

from __future__ import annotations

from typing import Any

import factory
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, OrganisationType, User
from palermo.accounts.roles import ROLE_DEFAULT_PURPOSE, Role

TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 - test fixture


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    org_type = OrganisationType.NGO
    country = "MD"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.save()


def member(
    role: Role = Role.CASE_WORKER, organisation: Organisation | None = None, **user_fields: Any
) -> Membership:
    """A user holding `role` in `organisation` (a new one by default)."""
    owner: Organisation = organisation or OrganisationFactory()  # type: ignore[assignment]
    user: User = UserFactory(**user_fields)  # type: ignore[assignment]
    return Membership.objects.create(user=user, organisation=owner, role=role)


def actor_for(membership: Membership) -> Actor:
    role = Role(membership.role)
    return Actor(
        user=membership.user,
        organisation=membership.organisation,
        role=role,
        purpose=ROLE_DEFAULT_PURPOSE[role],
    )


def confirmed_totp_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for this device."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def signed_in_client(membership: Membership, client: Client | None = None) -> Client:
    """A test client signed in through the real pages: password, then a TOTP code."""
    client = client or Client()
    device = confirmed_totp_device(membership.user)
    response = client.post(
        "/accounts/login/", {"username": membership.user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]  # noqa: S101
    response = client.post("/accounts/second-factor/", {"code": current_code(device)})
    assert response.status_code == 302, response.content[:500]  # noqa: S101
    return client
