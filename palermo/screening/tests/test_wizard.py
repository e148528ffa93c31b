"""The screening wizard through HTTP: start, one group per step, drafts, the result."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.screening import answers as answers_module
from palermo.screening.models import Screening, ScreeningStatus
from palermo.screening.rules import assess
from palermo.testing import member, signed_in_client

from .records import actions, completed, snapshot, started

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_instrument")]


def text(response: Any) -> str:
    return str(response.content.decode())


def step_url(screening: Screening, number: int) -> str:
    return f"/screening/{screening.public_id}/step/{number}/"


def test_a_screening_from_start_to_outcome(client_a: Client, responder_a: Membership) -> None:
    listing = client_a.get("/screening/")
    assert listing.status_code == 200 and 'id="start-screening"' in text(listing)
    form = client_a.get("/screening/new/")
    assert "Test border interview" in text(form)

    response = client_a.post(
        "/screening/new/", {"instrument": "test-border", "interviewee_language": "uk"}
    )
    screening = Screening.objects.get()
    assert response.status_code == 302 and response["Location"] == step_url(screening, 1)
    assert (screening.status, screening.interviewee_language) == (ScreeningStatus.DRAFT, "uk")
    assert screening.interviewer == responder_a.user
    assert screening.owner_organisation == responder_a.organisation

    step1 = text(client_a.get(step_url(screening, 1)))
    # Side by side: the interviewer's language and the interviewee's.
    assert "How old are you?" in step1 and "Скільки вам років?" in step1
    assert 'lang="uk"' in step1
    # "Not asked" and "prefers not to answer" are choices of their own, apart from "no".
    assert 'value="not_asked"' in step1 and 'value="declined"' in step1

    response = client_a.post(
        step_url(screening, 1), {"q_age": "30", "q_recruited": "yes", "action": "next"}
    )
    assert response.status_code == 302 and response["Location"] == step_url(screening, 2)
    screening.refresh_from_db()
    assert screening.answers == {"age": 30, "recruited": "yes"}
    assert screening.current_step == 1

    # Back keeps what was given on this step too.
    response = client_a.post(
        step_url(screening, 2),
        {
            "q_documents": "yes",
            "q_threatened": "declined",
            "q_paid": "not_at_all",
            "q_sectors": ["farm", "home"],
            "q_notes": "",
            "q_notes__special": "not_asked",
            "action": "back",
        },
    )
    assert response["Location"] == step_url(screening, 1)
    screening.refresh_from_db()
    assert screening.answers["threatened"] == "declined"
    assert screening.answers["sectors"] == ["farm", "home"]
    assert screening.answers["notes"] == "not_asked"
    again = text(client_a.get(step_url(screening, 2)))
    assert re.search(r'value="declined" checked', again)
    assert re.search(r'name="q_sectors" value="farm" checked', again)

    response = client_a.post(
        step_url(screening, 2),
        {
            "q_documents": "yes",
            "q_paid": "not_at_all",
            "q_threatened": "declined",
            "action": "next",
        },
    )
    assert response["Location"] == f"/screening/{screening.public_id}/finish/"
    summary = text(client_a.get(response["Location"]))
    assert "Not at all" in summary and "Prefers not to answer" in summary

    response = client_a.post(f"/screening/{screening.public_id}/finish/")
    assert response["Location"] == f"/screening/{screening.public_id}/"
    screening.refresh_from_db()
    assert screening.status == ScreeningStatus.COMPLETED
    assert screening.outcome == "presumed_trafficked"
    assert screening.elements == {"act": "present", "means": "present", "purpose": "present"}
    assert set(screening.indicator_ids) == {"recruited_by_stranger", "documents_taken", "unpaid"}
    assert "ForcedLabour" in screening.exploitation_types
    assert "WithholdsDocuments" in screening.control_methods
    # The stored outcome is the rules' own, with the trail in every language.
    expected = assess(
        __import__("palermo.screening.instruments", fromlist=["x"]).all_instruments()[
            "test-border"
        ],
        screening.answers,
    )
    assert screening.outcome == expected.outcome.value
    first_step = screening.assessment["explanation"][0]
    assert set(first_step["messages"]) == {"en", "uk", "ro", "es", "pt", "fr"}

    result = text(client_a.get(f"/screening/{screening.public_id}/"))
    assert 'data-outcome="presumed_trafficked"' in result
    assert "Did a stranger offer you this job?" in result  # the trail names the question
    assert "Recruited by a stranger" in result  # …and the indicator it raised
    assert 'id="register-person"' in result
    assert actions().count("screening.answer") == 3
    assert "screening.complete" in actions()


def test_answers_are_encrypted_at_rest(responder_a: Membership) -> None:
    screening = completed(responder_a)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers, assessment, outcome FROM screening_screening WHERE id = %s",
            [screening.pk],
        )
        answers, assessment, outcome = cursor.fetchone()
    assert answers.startswith("pv1:") and assessment.startswith("pv1:")
    assert "not_at_all" not in answers and "stranger" not in assessment
    assert outcome == "presumed_trafficked"  # in clear, for statistics


def test_not_asked_and_declined_are_not_no(responder_a: Membership) -> None:
    declined = completed(
        responder_a, {"age": 30, "recruited": "yes", "documents": "declined", "paid": "not_at_all"}
    )
    said_no = completed(
        responder_a, {"age": 30, "recruited": "yes", "documents": "no", "paid": "not_at_all"}
    )
    assert said_no.outcome == "not_indicated"
    assert declined.outcome == "insufficient_information"
    assert declined.elements["means"] == "unknown"


def test_a_draft_resumes_where_it_was_left(client_a: Client, responder_a: Membership) -> None:
    screening = started(responder_a)
    client_a.post(step_url(screening, 1), {"q_age": "17", "action": "save"})
    screening.refresh_from_db()
    assert screening.current_step == 0 and screening.answers == {"age": 17}
    client_a.post(step_url(screening, 1), {"q_age": "17", "action": "next"})
    listing = text(client_a.get("/screening/"))
    assert 'id="drafts"' in listing
    assert f'href="{step_url(screening, 2)}"' in listing


def test_a_bad_answer_is_refused_in_the_users_language_and_changes_nothing(
    client_a: Client, responder_a: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tagged(message: str) -> str:
        return f"[{translation.get_language()}] {translation.gettext(message)}"

    monkeypatch.setattr(answers_module, "_", tagged)
    screening = started(responder_a)
    client_a.post(step_url(screening, 1), {"q_age": "30", "action": "save"})
    before = snapshot()
    cases = {
        "not a number": {"q_age": "thirty"},
        "out of range": {"q_age": "300"},
        "not an option": {"q_recruited": "maybe"},
        "answer and declined": {"q_age": "30", "q_age__special": "declined"},
    }
    for case, data in cases.items():
        response = client_a.post(
            step_url(screening, 1), {**data, "action": "next"}, headers={"Accept-Language": "uk"}
        )
        assert response.status_code == 400, case
        assert response["Content-Language"] == "uk"
        assert "[uk] " in text(response), case
        assert 'class="field-error"' in text(response), case
        assert snapshot() == before, case
    # What was typed is shown again, so nothing is lost.
    response = client_a.post(step_url(screening, 1), {"q_age": "300", "q_recruited": "yes"})
    assert 'value="300"' in text(response)
    assert re.search(r'name="q_recruited" value="yes" checked', text(response))


def test_a_question_of_another_step_is_refused(client_a: Client, responder_a: Membership) -> None:
    screening = started(responder_a)
    from palermo.screening import services
    from palermo.testing import actor_for

    before = snapshot()
    with pytest.raises(Exception) as caught:
        services.screening_save_answers(
            actor=actor_for(responder_a),
            screening=screening,
            answers={"documents": "yes"},
            allowed=["age", "recruited"],
        )
    assert getattr(caught.value, "fields", {}) and "documents" in caught.value.fields  # type: ignore[attr-defined]
    assert snapshot() == before


def test_htmx_swaps_in_the_next_step_and_pushes_its_address(
    client_a: Client, responder_a: Membership
) -> None:
    screening = started(responder_a)
    response = client_a.post(
        step_url(screening, 1), {"q_age": "30", "action": "next"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == step_url(screening, 2)
    page = text(response)
    assert page.lstrip().startswith('<div id="wizard"')
    assert "<html" not in page
    assert "Does someone else keep your passport?" in page
    refused = client_a.post(
        step_url(screening, 2), {"q_paid": "often"}, headers={"HX-Request": "true"}
    )
    # htmx swaps in 2xx answers only: the refusal comes as 200 with its message.
    assert refused.status_code == 200 and 'class="field-error"' in text(refused)
    last = client_a.post(step_url(screening, 2), {"action": "next"}, headers={"HX-Request": "true"})
    assert last["HX-Redirect"] == f"/screening/{screening.public_id}/finish/"


def test_a_completed_screening_can_no_longer_change(
    client_a: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a)
    before = snapshot()
    response = client_a.post(step_url(screening, 1), {"q_age": "12", "action": "next"})
    assert (
        response.status_code == 302 and response["Location"] == f"/screening/{screening.public_id}/"
    )
    assert client_a.post(f"/screening/{screening.public_id}/finish/").status_code == 302
    assert snapshot() == before


def test_another_organisation_gets_404_everywhere(
    client_b: Client, responder_a: Membership
) -> None:
    screening = completed(responder_a)
    draft = started(responder_a)
    before = snapshot()
    for target in (screening, draft):
        base = f"/screening/{target.public_id}/"
        for url in (base, base + "step/1/", base + "finish/", base + "register/"):
            assert client_b.get(url).status_code == 404, url
        assert client_b.post(base + "step/1/", {"q_age": "1"}).status_code == 404
        assert (
            client_b.post(base + "review/", {"decision": "confirm", "reason": "x"}).status_code
            == 404
        )
    for malformed in ("not-a-uuid", "0" * 40):
        assert client_b.get(f"/screening/{malformed}/").status_code == 404
    assert screening.reference not in text(client_b.get("/screening/"))
    assert snapshot() == before


def test_a_colleagues_draft_is_theirs_alone(org_a: Organisation, responder_a: Membership) -> None:
    draft = started(responder_a)
    colleague = signed_in_client(member(Role.FIRST_RESPONDER, org_a))
    assert colleague.get(f"/screening/{draft.public_id}/").status_code == 404
    assert colleague.get(f"/screening/{draft.public_id}/step/1/").status_code == 404
    # A supervisor of the organisation sees it, but only its interviewer answers it.
    supervisor = signed_in_client(member(Role.SUPERVISOR, org_a))
    assert supervisor.get(f"/screening/{draft.public_id}/").status_code == 200
    before = snapshot()
    assert (
        supervisor.post(f"/screening/{draft.public_id}/step/1/", {"q_age": "3"}).status_code == 403
    )
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.RESEARCHER, Role.SERVICE_PROVIDER])
def test_roles_that_do_not_screen_find_no_pages(org_a: Organisation, role: Role) -> None:
    client = signed_in_client(member(role, org_a))
    for url in ("/screening/", "/screening/new/"):
        assert client.get(url).status_code == 404


def test_starting_with_a_bad_choice_is_refused_and_saves_nothing(client_a: Client) -> None:
    before = snapshot()
    for data in (
        {"instrument": "nope", "interviewee_language": "uk"},
        {"instrument": "test-border", "interviewee_language": "xx"},
        {"instrument": "test-border", "interviewee_language": "uk", "person": "not-visible"},
    ):
        response = client_a.post("/screening/new/", data)
        assert response.status_code in (400, 404), data
        assert snapshot() == before


def test_showing_answers_is_an_audited_read(client_a: Client, responder_a: Membership) -> None:
    screening = completed(responder_a)
    before = AuditEvent.objects.filter(action="screening.read").count()
    client_a.get(f"/screening/{screening.public_id}/")
    event = AuditEvent.objects.filter(action="screening.read").latest("sequence")
    assert AuditEvent.objects.filter(action="screening.read").count() == before + 1
    assert event.field_groups == ["narrative"]
    assert event.object_id == str(screening.public_id)
    # The audit names ids, never what was said.
    assert "not_at_all" not in str(event.details)
