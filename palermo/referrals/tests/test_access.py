"""What a receiver sees of a person through a referral: every role × every field group, through
the pages and the API; and who sees nothing (not referred, revoked, declined, done, transferred).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import ROLE_FIELD_GROUPS, FieldGroup, Perm, Role, role_can
from palermo.audit.models import AuditEvent
from palermo.cases.access import case_for_actor
from palermo.cases.models import Case
from palermo.errors import NotFound
from palermo.referrals import services
from palermo.referrals.models import Referral
from palermo.referrals.selectors import groups_seen
from palermo.testing import OrganisationFactory, actor_for, member, signed_in_client

from .records import OLENA, SUMMARY, consent, full_consent, make_case

pytestmark = pytest.mark.django_db

PERSON_GROUPS = {"identity", "contact", "location"}
ALL_GROUPS = [str(g) for g in FieldGroup]


def _refer(sender: Membership, case: Case, receiver: Organisation, groups: list[str]) -> Referral:
    return services.referral_send(
        actor=actor_for(sender),
        case_public_id=case.public_id,
        data={
            "receiving_organisation": str(receiver.public_id),
            "reason": "AdditionalServicesRequired",
            "shared_groups": groups,
        },
    )


def _sees_nothing(client: Client, referral: Referral, case: Case) -> None:
    assert client.get(f"/api/referrals/{referral.public_id}").status_code == 404
    assert client.get(f"/referrals/{referral.public_id}/").status_code == 404
    assert client.get(f"/api/people/{case.person.public_id}").status_code in (403, 404)
    assert client.get(f"/api/cases/{case.public_id}").status_code in (403, 404)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_only_shared_groups_its_role_allows(role: Role) -> None:
    shelter = OrganisationFactory(name="Shelter", country="MD")
    receiver_org = OrganisationFactory(name="Receiver", country="MD")
    sender = member(Role.CASE_WORKER, shelter)
    receiver = member(role, receiver_org)
    client = signed_in_client(receiver)
    role_groups = {str(g) for g in ROLE_FIELD_GROUPS[role]}
    for group in ALL_GROUPS:
        case = make_case(sender)
        full_consent(case.person, receiver_org)
        referral = _refer(sender, case, receiver_org, [group])
        if not role_can(role, Perm.CASE_VIEW):
            _sees_nothing(client, referral, case)
            assert client.get("/api/referrals/").status_code == 403
            continue
        expected = {group} & role_groups
        actor = actor_for(receiver)
        assert groups_seen(actor, case.person) == expected, (role, group)
        # The API: the person's fields of the expected groups, and nothing else.
        data = client.get(f"/api/referrals/{referral.public_id}").json()
        person = data["person"]
        assert set(person["visible_groups"]) == expected & PERSON_GROUPS, (role, group)
        assert ("first_name" in person) == ("identity" in expected)
        assert ("mobile_phone" in person) == ("contact" in expected)
        assert ("mailing_city" in person) == ("location" in expected)
        assert (data["case_summary"] == SUMMARY) == ("narrative" in expected)
        if "narrative" not in expected:
            assert data["case_summary"] is None
        # The page shows the same, and no more.
        page = client.get(f"/referrals/{referral.public_id}/").content.decode()
        assert (OLENA["first_name"] in page) == ("identity" in expected), (role, group)
        assert ("Odesa" in page) == ("location" in expected or "narrative" in expected)
        assert (SUMMARY in page) == ("narrative" in expected)
        # The person's own page and API agree with the referral.
        if role_can(role, Perm.PERSON_VIEW):
            seen = client.get(f"/api/people/{case.person.public_id}").json()
            assert set(seen["visible_groups"]) == expected & PERSON_GROUPS, (role, group)
        # The case itself is visible (a live referral), its reads audited.
        assert case_for_actor(actor, case.public_id) == case
        if expected & PERSON_GROUPS:
            assert AuditEvent.objects.filter(
                action="person.read",
                object_id=str(case.person.public_id),
                organisation=receiver_org,
            ).exists()


def _client_with_referral(
    state_steps: list[tuple[str, dict[str, Any]]],
) -> tuple[Client, Referral, Case, Membership, Membership]:
    shelter = OrganisationFactory(name="Shelter", country="MD")
    clinic = OrganisationFactory(name="Clinic", country="MD")
    sender = member(Role.CASE_WORKER, shelter)
    provider = member(Role.SERVICE_PROVIDER, clinic)
    case = make_case(sender)
    consent(case.person, "referral", organisation=clinic)
    referral = _refer(sender, case, clinic, ["identity", "contact", "health"])
    for action, data in state_steps:
        who = sender if action == "revoke" else provider
        services.referral_transition(
            actor=actor_for(who), public_id=referral.public_id, action=action, data=data
        )
    return signed_in_client(provider), referral, case, sender, provider


def test_a_provider_that_was_not_referred_gets_404_everywhere(db: None) -> None:
    client, referral, case, _sender, _provider = _client_with_referral([])
    stranger = member(Role.SERVICE_PROVIDER, OrganisationFactory(name="Other clinic"))
    other = signed_in_client(stranger)
    _sees_nothing(other, referral, case)
    assert other.get(f"/referrals/{referral.public_id}/document/").status_code == 404
    with pytest.raises(NotFound):
        case_for_actor(actor_for(stranger), case.public_id)
    assert other.get("/api/referrals/").json()["count"] == 0
    # The referred provider does see it.
    assert client.get(f"/api/referrals/{referral.public_id}").status_code == 200
    assert client.get(f"/api/people/{case.person.public_id}").status_code == 200


@pytest.mark.parametrize(
    "steps",
    [
        [("revoke", {})],
        [("accept", {}), ("revoke", {"note": "Moved"})],
        [("decline", {"note": "No places"})],
        [("accept", {}), ("start", {}), ("done", {})],
    ],
    ids=["revoked-pending", "revoked-accepted", "declined", "done"],
)
def test_access_ends_with_the_referral(steps: list[tuple[str, dict[str, Any]]]) -> None:
    client, referral, case, _sender, provider = _client_with_referral(steps)
    # The referral's own record stays (no personal data in it) …
    data = client.get(f"/api/referrals/{referral.public_id}").json()
    assert data["person"] is None and data["case_summary"] is None and data["details"] is None
    page = client.get(f"/referrals/{referral.public_id}/").content.decode()
    assert OLENA["first_name"] not in page
    # … but the person and the case are gone.
    assert client.get(f"/api/people/{case.person.public_id}").status_code == 404
    with pytest.raises(NotFound):
        case_for_actor(actor_for(provider), case.public_id)
    assert not Referral.objects.filter(
        pk=referral.pk, state__in=["pending", "accepted", "in_progress"]
    ).exists()


def test_transfer_old_owner_loses_new_owner_gains(db: None) -> None:
    shelter = OrganisationFactory(name="Shelter", country="MD")
    ngo = OrganisationFactory(name="NGO", country="MD")
    sender = member(Role.CASE_WORKER, shelter)
    old_supervisor = member(Role.SUPERVISOR, shelter)
    new_worker = member(Role.CASE_WORKER, ngo)
    new_provider = member(Role.SERVICE_PROVIDER, ngo)
    case = make_case(sender)
    consent(case.person, "assistance")
    consent(case.person, "referral", organisation=ngo)
    old = signed_in_client(old_supervisor)
    assert old.get(f"/api/people/{case.person.public_id}").status_code == 200
    transfer = services.referral_send(
        actor=actor_for(sender),
        case_public_id=case.public_id,
        data={
            "kind": "transfer",
            "receiving_organisation": str(ngo.public_id),
            "reason": "MigrationOrChangeOfLocation",
            "shared_groups": ["identity"],
        },
    )
    new = signed_in_client(new_worker)
    # Before acceptance the receiver sees only what is shared.
    assert new.get(f"/api/people/{case.person.public_id}").json()["visible_groups"] == ["identity"]
    response = new.post(
        f"/referrals/{transfer.public_id}/accept/", {"case_worker": new_worker.user.username}
    )
    assert response.status_code == 302
    assert old.get(f"/api/people/{case.person.public_id}").status_code == 404
    assert old.get(f"/api/cases/{case.public_id}").status_code == 404
    # The new owner: full access per role and consent.
    seen = new.get(f"/api/people/{case.person.public_id}").json()
    assert seen["visible_groups"] == ["contact", "identity", "location"]
    provider_view = groups_seen(actor_for(new_provider), Case.objects.get(pk=case.pk).person)
    assert provider_view == {"identity", "contact", "health"}
    # The former owner still sees the transfer record (no personal data) to know what happened.
    assert old.get(f"/api/referrals/{transfer.public_id}").json()["referral"]["state"] == "done"
