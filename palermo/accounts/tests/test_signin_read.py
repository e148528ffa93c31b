"""The signed-in request's account rows, read in one query (palermo.accounts.signin), must be
what Django's and django_otp's own queries would have read, and take every change at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts.models import Membership, User
from palermo.accounts.roles import Role
from palermo.accounts.selectors import SESSION_MEMBERSHIP_KEY, active_memberships
from palermo.accounts.signin import prefetched_devices, prefetched_memberships, signed_in_user
from palermo.testing import OrganisationFactory, member, signed_in_client

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_user_devices_and_memberships_are_what_the_orm_reads():
    first = member(Role.CASE_WORKER, organisation=OrganisationFactory(name="Zeta shelter"))
    user = first.user
    Membership.objects.create(user=user, organisation=OrganisationFactory(name="Alpha clinic"),
                              role=Role.SERVICE_PROVIDER)  # fmt: skip
    Membership.objects.create(user=user, organisation=OrganisationFactory(name="Gone NGO",
                              is_active=False), role=Role.CASE_WORKER)  # fmt: skip
    confirmed = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=user, name="half set up", confirmed=False)
    TOTPDevice.objects.create(user=member().user, name="someone else's", confirmed=True)

    with CaptureQueriesContext(connection) as queries:
        loaded = signed_in_user(user.pk)
    assert len(queries) == 1
    assert isinstance(loaded, User)
    assert _fields(loaded) == _fields(User.objects.get(pk=user.pk))
    devices = prefetched_devices(loaded)
    assert devices is not None
    assert list(devices) == [confirmed.pk]
    assert _fields(devices[confirmed.pk]) == _fields(confirmed)
    memberships = prefetched_memberships(loaded)
    expected = list(active_memberships(user))
    assert memberships is not None
    assert [m.pk for m in memberships] == [m.pk for m in expected]  # inactive one left out
    assert [m.organisation.name for m in memberships] == ["Alpha clinic", "Zeta shelter"]
    for got, want in zip(memberships, expected, strict=True):
        assert _fields(got) == _fields(want)
        assert _fields(got.organisation) == _fields(want.organisation)


@pytest.mark.parametrize("user_id", [0, -1, "x", None, "1; DROP TABLE accounts_user"])
def test_no_user_for_an_unknown_or_malformed_id(user_id):
    assert signed_in_user(user_id) is None


def test_a_user_without_devices_or_memberships():
    user = member().user
    Membership.objects.filter(user=user).delete()
    loaded = signed_in_user(user.pk)
    assert loaded is not None
    assert prefetched_devices(loaded) == {}
    assert prefetched_memberships(loaded) == []


def test_a_signed_in_page_reads_session_and_account_in_two_queries():
    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    client.get("/cases/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/")
    assert response.status_code == 200
    account_tables = ("django_session", "accounts_user", "otp_totp_totpdevice",
                      "accounts_membership")  # fmt: skip
    reads = [q["sql"] for q in queries if any(t in q["sql"] for t in account_tables)]
    assert len([s for s in reads if "django_session" in s]) == 1
    assert len([s for s in reads if "otp_totp_totpdevice" in s]) == 1  # the joined read


def test_changes_take_effect_on_the_next_request():
    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    assert client.get("/cases/").status_code == 200
    # The device is removed: the session is no longer verified, the second factor is asked.
    TOTPDevice.objects.filter(user=membership.user).delete()
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "second-factor" in response["Location"]
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_deactivated_user_is_signed_out_on_the_next_request():
    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    User.objects.filter(pk=membership.user.pk).update(is_active=False)
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_session_naming_another_users_device_is_not_verified():
    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    other = TOTPDevice.objects.create(user=member().user, name="other", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302
    assert "second-factor" in response["Location"]


def test_a_removed_membership_is_not_acted_for_on_the_next_request():
    membership = member(Role.CASE_WORKER)
    second = Membership.objects.create(
        user=membership.user, organisation=OrganisationFactory(), role=Role.SUPERVISOR
    )
    client = signed_in_client(membership)
    session = client.session
    session[SESSION_MEMBERSHIP_KEY] = second.pk
    session.save()
    assert client.get("/cases/").context["actor"].organisation == second.organisation
    second.delete()
    assert client.get("/cases/").context["actor"].organisation == membership.organisation
