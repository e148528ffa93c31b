"""The audit page at /audit/, through the real sign-in: who sees it, what it shows, its filters."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.testing import member, signed_in_client

from .events import record

URL = "/audit/"
# Sign-in, session and membership lookups, the header's unread-notifications count, then one
# count and one page of events; the same for 2 events or 80, with or without filters.
QUERY_BUDGET = 11


def text_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def rows(page: str) -> list[str]:
    """The table rows of the results, in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return re.findall(r"<tr[ >].*?</tr>", body, flags=re.S)


@pytest.fixture
def client_sup(supervisor_a: Membership) -> Client:
    return signed_in_client(supervisor_a)


# --- who may see the page ------------------------------------------------------------------


def test_a_supervisor_sees_the_events_of_their_organisation_only(
    client_sup: Client, worker_a: Membership, worker_b: Membership
) -> None:
    record(worker_a, action="person.create", object_id="a-record")
    record(worker_b, action="person.update", object_id="b-record")
    response = client_sup.get(URL)
    page = text_of(response)
    assert response.status_code == 200
    assert "a-record" in page and "worker_a" in page
    assert "b-record" not in page and "worker_b" not in page and "person.update" not in page


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.NATIONAL_COORDINATOR])
def test_other_audit_roles_also_see_only_their_organisation(
    role: Role, org_a: Organisation, worker_a: Membership, worker_b: Membership
) -> None:
    record(worker_a, object_id="a-record")
    record(worker_b, object_id="b-record")
    page = text_of(signed_in_client(member(role, org_a)).get(URL))
    assert "a-record" in page and "b-record" not in page


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.RESEARCHER, Role.INVESTIGATOR])
def test_roles_without_the_audit_permission_get_404(role: Role, org_a: Organisation) -> None:
    record(member(Role.CASE_WORKER, org_a), object_id="a-record")
    response = signed_in_client(member(role, org_a)).get(URL)
    assert response.status_code == 404
    assert "a-record" not in text_of(response)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_only_answers_get(client_sup: Client) -> None:
    assert client_sup.post(URL).status_code == 405


def test_viewing_the_page_is_not_itself_recorded(client_sup: Client, worker_a: Membership) -> None:
    record(worker_a, 3)
    before = AuditEvent.objects.count()
    client_sup.get(URL)
    client_sup.get(URL, {"action": "person"})
    assert AuditEvent.objects.count() == before


# --- what it shows ---------------------------------------------------------------------------


def test_the_columns(client_sup: Client, worker_a: Membership) -> None:
    from palermo.audit.context import begin_request, current_request_id, end_request

    token = begin_request()
    request_id = current_request_id()
    try:
        record(
            worker_a,
            action="person.read",
            object_type="person",
            object_id="p-77",
            field_groups=["identity", "health"],
        )
    finally:
        end_request(token)
    (row,) = [r for r in rows(text_of(client_sup.get(URL))) if "p-77" in r]
    for expected in ("worker_a", "person.read", "Assistance", "p-77", "Health, Identity"):
        assert expected in row
    assert f"<code>{request_id}</code>" in row
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row)


def test_list_reads_show_how_many_records_were_shown(
    client_sup: Client, worker_a: Membership
) -> None:
    record(worker_a, action="person.list", details={"persons": ["x", "y"]})
    page = text_of(client_sup.get(URL, {"action": "person.list"}))
    assert "2 records shown" in page


def test_newest_first_and_paginated_by_50(client_sup: Client, worker_a: Membership) -> None:
    record(worker_a, 120, action="person.read", object_type="person")
    first = text_of(client_sup.get(URL, {"action": "person.read"}))
    sequences = [int(s) for s in re.findall(r"data-sequence=\"(\d+)\"", first)]
    assert len(rows(first)) == 50
    assert sequences == sorted(sequences, reverse=True)
    assert "Page 1 of 3" in first and "action=person.read&amp;page=2" in first
    third = text_of(client_sup.get(URL, {"action": "person.read", "page": "3"}))
    assert len(rows(third)) == 20 and "Page 3 of 3" in third
    assert "action=person.read&amp;page=2" in third
    # Past the end, or nonsense: the nearest real page, not an error.
    assert "Page 3 of 3" in text_of(client_sup.get(URL, {"action": "person.read", "page": "99"}))
    assert "Page 1 of 3" in text_of(client_sup.get(URL, {"action": "person.read", "page": "x"}))


def test_the_number_of_queries_does_not_grow_with_the_events(
    client_sup: Client,
    worker_a: Membership,
    django_assert_max_num_queries: object,
) -> None:
    record(worker_a, 2)
    client_sup.get(URL)  # warm the session and caches
    with django_assert_max_num_queries(QUERY_BUDGET):  # type: ignore[operator]
        assert len(rows(text_of(client_sup.get(URL)))) >= 2
    record(worker_a, 80)
    with django_assert_max_num_queries(QUERY_BUDGET):  # type: ignore[operator]
        assert len(rows(text_of(client_sup.get(URL, {"actor": "worker_a"})))) == 50


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def mixed_events(worker_a: Membership, supervisor_a: Membership) -> None:
    record(worker_a, action="person.create", object_id="p-1")
    record(worker_a, action="person.read", object_id="p-2")
    record(supervisor_a, action="person.update", object_id="p-1")
    record(worker_a, action="personnel.note", object_id="p-3")


def shown(client: Client, **filters: str) -> set[str]:
    """The record ids on the page for these filters."""
    response = client.get(URL, filters)
    assert response.status_code == 200, text_of(response)[:2000]
    return set(re.findall(r"<code>(p-\d+)</code>", text_of(response)))


@pytest.mark.usefixtures("mixed_events")
def test_filter_by_action_matches_the_action_or_its_family(client_sup: Client) -> None:
    assert shown(client_sup, action="person.create") == {"p-1"}
    assert shown(client_sup, action="person") == {"p-1", "p-2"}
    assert shown(client_sup, action="personnel") == {"p-3"}
    assert shown(client_sup, action="nothing") == set()


@pytest.mark.usefixtures("mixed_events")
def test_filter_by_user_and_by_record(client_sup: Client) -> None:
    assert shown(client_sup, actor="WORKER_A") == {"p-1", "p-2", "p-3"}
    assert shown(client_sup, actor="supervisor_a", action="person") == {"p-1"}
    actions = re.findall(
        r"<code>(person\.\w+)</code>", text_of(client_sup.get(URL, {"object_id": "p-1"}))
    )
    assert actions == ["person.update", "person.create"]


def test_filter_by_record_finds_the_lists_that_showed_it(
    client_sup: Client, worker_a: Membership
) -> None:
    person = uuid.uuid4()
    record(worker_a, action="person.read", object_id=str(person))
    record(worker_a, action="person.list", details={"persons": [str(uuid.uuid4()), str(person)]})
    record(worker_a, action="person.list", details={"persons": [str(uuid.uuid4())]})
    page = text_of(client_sup.get(URL, {"object_id": str(person).upper()}))
    assert len(rows(page)) == 2 and "1 record shown" not in page


def test_filter_by_dates_takes_whole_days_both_ends_included(
    client_sup: Client, worker_a: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day, ident in ((1, "p-1"), (2, "p-2"), (3, "p-3")):
        moment = datetime(2025, 3, day, 23, 59, 59, tzinfo=UTC)
        with monkeypatch.context() as patch:
            patch.setattr("palermo.audit.services.timezone.now", lambda moment=moment: moment)
            record(worker_a, object_id=ident)
    assert shown(client_sup, date_from="2025-03-02") >= {"p-2", "p-3"}
    assert "p-1" not in shown(client_sup, date_from="2025-03-02")
    assert shown(client_sup, date_to="2025-03-02") == {"p-1", "p-2"}
    assert shown(client_sup, date_from="2025-03-02", date_to="2025-03-02") == {"p-2"}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"date_from": "2025-02-30"}, "Enter a date as YYYY-MM-DD, like 2025-03-31."),
        ({"date_to": "yesterday"}, "Enter a date as YYYY-MM-DD, like 2025-03-31."),
        ({"date_from": "0001-01-01"}, "Enter a date between 1970-01-01 and 9998-12-31."),
        ({"date_to": "9999-12-31"}, "Enter a date between 1970-01-01 and 9998-12-31."),
        (
            {"date_from": "2025-03-02", "date_to": "2025-03-01"},
            "The end date must not be before the start date.",
        ),
        ({"action": "x" * 81}, "Ensure this value has at most 80 characters (it has 81)."),
    ],
)
def test_bad_filters_get_400_and_say_why(
    client_sup: Client, worker_a: Membership, filters: dict[str, str], message: str
) -> None:
    record(worker_a, object_id="p-1")
    response = client_sup.get(URL, filters)
    page = text_of(response)
    assert response.status_code == 400
    assert 'class="error-summary"' in page and message in page
    assert 'aria-invalid="true"' in page
    assert "p-1" not in page  # no results under filters that do not mean anything


def test_filter_errors_are_translated(client_sup: Client) -> None:
    response = client_sup.get(URL, {"action": "x" * 81}, headers={"Accept-Language": "uk"})
    assert response.status_code == 400
    assert response["Content-Language"] == "uk"
    assert "Ensure this value" not in text_of(response)


# --- htmx ------------------------------------------------------------------------------------


def test_an_htmx_filter_gets_only_the_results_section(
    client_sup: Client, worker_a: Membership
) -> None:
    record(worker_a, object_id="p-1")
    response = client_sup.get(URL, {"action": "person"}, headers={"HX-Request": "true"})
    page = text_of(response).strip()
    assert response.status_code == 200
    assert page.startswith('<section id="results"') and page.endswith("</section>")
    assert "p-1" in page and "<html" not in page and 'role="search"' not in page
    assert "HX-Request" in response["Vary"]
    restore = client_sup.get(
        URL,
        {"action": "person"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in text_of(restore)


def test_an_htmx_filter_with_errors_shows_them_in_the_results(client_sup: Client) -> None:
    response = client_sup.get(URL, {"date_from": "nope"}, headers={"HX-Request": "true"})
    page = text_of(response)
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert 'class="error-summary"' in page and "YYYY-MM-DD" in page


def test_the_full_page_wires_the_htmx_filters(client_sup: Client) -> None:
    page = text_of(client_sup.get(URL))
    assert 'hx-target="#results"' in page and 'hx-swap="outerHTML"' in page
    assert 'method="get"' in page and '<section id="results"' in page
