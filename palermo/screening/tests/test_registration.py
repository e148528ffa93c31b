"""Registering the screened person: possible existing records first, then create or link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people import services as people_services
from palermo.people.field_groups import phonetic_key
from palermo.people.models import Person
from palermo.screening.duplicates import name_similarity, registration_candidates
from palermo.screening.models import Screening
from palermo.testing import actor_for, member

from .records import completed, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_instrument")]

NEW = {
    "first_name": "Olena",
    "second_name": "Kovalenko",
    "birthdate": "1999-04-02",
    "gender": "Feminine",
    "identity_number": "",
    "mobile_phone": "",
    "citizenship": "UA",
    "primary_language": "uk",
    "middle_name": "",
}


def register_url(screening: Screening) -> str:
    return f"/screening/{screening.public_id}/register/"


def known(membership: Membership, **fields: Any) -> Person:
    data = {"first_name": "Олена", "second_name": "Коваленко", "birthdate": "1999-04-02", **fields}
    return people_services.person_create(actor=actor_for(membership), data=data)


def test_phonetic_keys_meet_across_scripts_and_spellings() -> None:
    assert phonetic_key("Олена") == phonetic_key("Olena") == phonetic_key("Elena")
    assert phonetic_key("Коваленко") == phonetic_key("Kowalenko") == phonetic_key("Kovalenco")
    assert phonetic_key("Сергій") == phonetic_key("Serghei")
    assert phonetic_key("Olena") != phonetic_key("Maria")
    assert name_similarity("Olena", "Kovalenko", "Олена", "Коваленко") == 100
    assert name_similarity("Olena", "Kovalenko", "Kovalenko", "Olena") == 100  # swapped
    assert name_similarity("Olena", "Kovalenko", "Ion", "Rusu") < 50


def test_a_person_already_registered_in_another_script_is_shown_first(
    client_a: Client, responder_a: Membership
) -> None:
    existing = known(responder_a)
    screening = completed(responder_a)
    assert client_a.get(register_url(screening)).status_code == 200
    response = client_a.post(register_url(screening), {**NEW, "action": "check"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'id="candidate-{existing.public_id}"' in page
    assert "Олена Коваленко" in page
    assert "the same date of birth" in page and "nearly the same" in page
    event = AuditEvent.objects.get(action="person.duplicate_check")
    assert event.field_groups == ["identity"]
    assert event.details["persons_compared"] == [str(existing.public_id)]
    assert 'id="register-new"' in page and 'name="checked"' in page


def test_exact_identifiers_come_before_sound_alike_names(responder_a: Membership) -> None:
    by_document = known(
        responder_a, first_name="Ana", second_name="Popa", identity_number="AB 123456"
    )
    by_name = known(responder_a, birthdate="1999-05-02")
    stranger = known(responder_a, first_name="Ion", second_name="Rusu", birthdate="1980-01-01")
    values = {
        "first_name": "Olena",
        "second_name": "Kovalenko",
        "birthdate": __import__("datetime").date(1999, 4, 2),
        "identity_number": "ab123456",
    }
    found = registration_candidates(actor=actor_for(responder_a), values=values)
    assert [c.person.pk for c in found] == [by_document.pk, by_name.pk]
    assert found[0].exact and "the same identity document number" in found[0].reasons
    assert not found[1].exact and "the same year of birth" in found[1].reasons
    assert stranger.pk not in {c.person.pk for c in found}


def test_candidates_are_only_persons_the_actor_may_see(
    responder_a: Membership, org_b: Organisation
) -> None:
    known(member(Role.CASE_WORKER, org_b))
    values = {"first_name": "Olena", "second_name": "Kovalenko"}
    assert registration_candidates(actor=actor_for(responder_a), values=values) == []


def test_registering_needs_the_candidates_looked_at(
    client_a: Client, responder_a: Membership
) -> None:
    known(responder_a)
    screening = completed(responder_a)
    before = snapshot()
    # Skipping the check: the candidates are shown, nothing is created.
    response = client_a.post(register_url(screening), {**NEW, "action": "create"})
    assert response.status_code == 200 and 'id="candidates"' in response.content.decode()
    assert Person.objects.count() == 1 and Screening.objects.get().person is None
    # A forged check token does not count either.
    response = client_a.post(register_url(screening), {**NEW, "action": "create", "checked": "x"})
    assert Person.objects.count() == 1
    assert snapshot()[:4] == before[:4]
    checked = client_a.post(register_url(screening), {**NEW, "action": "check"})
    token = checked.context["checked"]
    response = client_a.post(register_url(screening), {**NEW, "action": "create", "checked": token})
    assert response.status_code == 302
    screening.refresh_from_db()
    assert screening.person is not None and screening.person.first_name == "Olena"
    assert screening.person.primary_language == "uk"
    # Straight on to consent, in the person's language, and back to the screening after.
    assert response["Location"].startswith(f"/consent/person/{screening.person.public_id}/?")
    assert (
        "language=uk" in response["Location"]
        and f"screening={screening.public_id}" in response["Location"]
    )
    assert AuditEvent.objects.filter(action="screening.register").count() == 1


def test_with_no_candidate_the_person_is_registered_at_once(
    client_a: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a)
    response = client_a.post(register_url(screening), {**NEW, "action": "check"})
    assert 'id="no-candidates"' in response.content.decode()
    response = client_a.post(register_url(screening), {**NEW, "action": "create"})
    assert response.status_code == 302
    assert Person.objects.get().bidx_phonetic_names  # indexed for the next search


def test_linking_to_an_existing_person(client_a: Client, responder_a: Membership) -> None:
    existing = known(responder_a)
    screening = completed(responder_a)
    response = client_a.post(
        register_url(screening), {"action": "link", "person": str(existing.public_id)}
    )
    assert response.status_code == 302
    screening.refresh_from_db()
    assert screening.person == existing
    assert AuditEvent.objects.filter(action="screening.link").count() == 1
    # Linked: the registration page sends back to the screening.
    assert client_a.get(register_url(screening))["Location"] == f"/screening/{screening.public_id}/"


def test_bad_registration_input_is_refused_and_changes_nothing(
    client_a: Client, responder_a: Membership, org_b: Organisation
) -> None:
    screening = completed(responder_a)
    theirs = known(member(Role.CASE_WORKER, org_b))
    before = snapshot()
    for data in (
        {**NEW, "first_name": "", "second_name": "", "action": "create"},
        {**NEW, "birthdate": "2999-01-01", "action": "create"},
        {**NEW, "mobile_phone": "call me", "action": "check"},
        {**NEW, "citizenship": "Atlantis", "action": "create"},
    ):
        response = client_a.post(register_url(screening), data)
        assert response.status_code == 400, data
        assert 'class="field-error"' in response.content.decode()
        assert snapshot()[:5] == before[:5]
    # Linking someone the actor may not see: not found, nothing linked.
    response = client_a.post(
        register_url(screening), {"action": "link", "person": str(theirs.public_id)}
    )
    assert response.status_code == 400 or response.status_code == 404
    assert Screening.objects.get(pk=screening.pk).person is None


def test_the_migration_fills_the_sound_alike_keys_of_earlier_persons(
    responder_a: Membership,
) -> None:
    import importlib

    from django.apps import apps

    earlier = known(responder_a)
    expected = {
        c: getattr(earlier, c)
        for c in ("bidx_phonetic_names", "bidx_phonetic_first_year", "bidx_phonetic_last_year")
    }
    assert all(expected.values())
    Person.objects.update(
        bidx_phonetic_names="", bidx_phonetic_first_year="", bidx_phonetic_last_year=""
    )
    migration = importlib.import_module(
        "palermo.people.migrations.0003_fill_phonetic_blind_indexes"
    )
    migration.fill(apps, None)
    earlier.refresh_from_db()
    assert {c: getattr(earlier, c) for c in expected} == expected
