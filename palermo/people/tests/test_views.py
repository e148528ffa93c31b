"""The person pages, through HTTP as a signed-in user's browser uses them."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.people import validation
from palermo.people.models import Person
from palermo.testing import member, signed_in_client

from .records import OLENA, audit_actions, register, snapshot

pytestmark = pytest.mark.django_db

FORM = {
    "first_name": "Олена",
    "second_name": "Коваленко",
    "birthdate": "1999-04-02",
    "gender": "Feminine",
    "mobile_phone": "+380 67 123 4567",
    "email": "Olena.K@Example.org",
    "identity_number": "AB 123-456",
    "mailing_city": "Kyiv",
    "citizenship": "UA, MD",
    "number_of_children": "1",
}


def text_of(response: Any) -> str:
    return str(response.content.decode())


def field_error(page: str, field: str) -> str:
    """The message shown next to a field (the paragraph the input's aria-describedby names)."""
    match = re.search(rf'<p class="field-error" id="id_{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown next to {field}"
    return html.unescape(match.group(1))


# --- good paths -----------------------------------------------------------------------------


def test_register_view_and_find_a_person(client_a: Client, worker_a: Membership) -> None:
    form = client_a.get("/people/new/")
    assert form.status_code == 200
    assert 'name="first_name"' in text_of(form)

    response = client_a.post("/people/new/", FORM)
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.public_id}/"
    assert person.citizenship == ["MD", "UA"]
    assert audit_actions()[-1] == "person.create"

    detail = client_a.get(response["Location"])
    page = text_of(detail)
    assert detail.status_code == 200
    assert "Олена Коваленко" in page
    assert "+380671234567" in page and "Kyiv" in page and "1999-04-02" in page
    read = AuditEvent.objects.filter(action="person.read").get()
    assert read.object_id == str(person.public_id)
    assert read.field_groups == ["contact", "identity", "location"]


def test_edit_shows_the_stored_values_and_saves_changes(
    client_a: Client, worker_a: Membership
) -> None:
    person = register(worker_a)
    url = f"/people/{person.public_id}/edit/"
    form = text_of(client_a.get(url))
    assert 'value="Олена"' in form and 'value="+380671234567"' in form

    reads_before = AuditEvent.objects.filter(action="person.read").count()
    response = client_a.post(url, {**FORM, "mailing_city": "Lviv", "first_name": "Olha"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.mailing_city) == ("Olha", "Lviv")
    # Saving is an update; it is not also recorded as a read.
    assert AuditEvent.objects.filter(action="person.read").count() == reads_before
    assert AuditEvent.objects.filter(action="person.update").count() == 1


def test_the_list_shows_the_organisations_persons(client_a: Client, worker_a: Membership) -> None:
    olena = register(worker_a)
    ivan = register(worker_a, first_name="Ivan", second_name="Petrenko")
    page = text_of(client_a.get("/people/"))
    assert olena.reference in page and ivan.reference in page
    assert "Олена Коваленко" in page and "Ivan Petrenko" in page
    event = AuditEvent.objects.get(action="person.list")
    assert set(event.details["persons"]) == {str(olena.public_id), str(ivan.public_id)}


@pytest.mark.parametrize(
    "query",
    [
        "Олена",
        "olena",
        "Kovalenko",
        "Олена Коваленко",
        "1999-04-02",
        "+380 67 123 4567",
        "0671234567",
        "OLENA.K@example.ORG",
        "ab 123 456",
        "AB-123-456",
    ],
)
def test_search_from_the_page(client_a: Client, worker_a: Membership, query: str) -> None:
    olena = register(worker_a)
    ivan = register(worker_a, first_name="Ivan", mobile_phone="+380501112233")
    page = text_of(client_a.get("/people/", {"q": query}))
    assert olena.reference in page
    assert ivan.reference not in page
    assert "1 person matches" in page


def test_a_search_that_finds_no_one_says_so_and_audits_nothing(
    client_a: Client, worker_a: Membership
) -> None:
    register(worker_a)
    before = AuditEvent.objects.count()
    page = text_of(client_a.get("/people/", {"q": "Nobody"}))
    assert "No one matches" in page
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("query", ["x" * 201, "a\x00b"], ids=["too long", "null character"])
def test_a_refused_search_says_why_and_shows_no_one(
    client_a: Client, worker_a: Membership, query: str
) -> None:
    olena = register(worker_a)
    before = snapshot()
    response = client_a.get("/people/", {"q": query})
    page = text_of(response)
    assert response.status_code == 400
    assert re.search(r'<p class="field-error" id="q-error" role="alert">\S', page)
    assert 'aria-invalid="true"' in page
    assert olena.reference not in page
    # htmx leaves 4xx answers unswapped, so its partial carries the message with a 200.
    partial = client_a.get("/people/", {"q": query}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert 'id="q-error"' in text_of(partial) and olena.reference not in text_of(partial)
    assert snapshot() == before


def test_pagination_links(client_a: Client, worker_a: Membership) -> None:
    for i in range(30):
        register(worker_a, first_name=f"Person{i:02d}")
    first = text_of(client_a.get("/people/"))
    assert "Page 1 of 2" in first and "page=2" in first
    assert "Person29" in first and "Person04" not in first
    second = text_of(client_a.get("/people/", {"page": "2"}))
    assert "Page 2 of 2" in second and "Person04" in second and "Person29" not in second


def test_an_htmx_search_gets_only_the_results_section(
    client_a: Client, worker_a: Membership
) -> None:
    olena = register(worker_a)
    response = client_a.get("/people/", {"q": "olena"}, headers={"HX-Request": "true"})
    page = text_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="results"')
    assert page.rstrip().endswith("</section>")
    assert olena.reference in page
    assert "<html" not in page and "<h1>" not in page and 'role="search"' not in page
    assert "HX-Request" in response["Vary"]
    # A history restore (back button after a search) needs the whole page.
    restore = client_a.get(
        "/people/",
        {"q": "olena"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in text_of(restore)


def test_the_full_list_page_wires_the_htmx_search(client_a: Client) -> None:
    page = text_of(client_a.get("/people/"))
    assert 'hx-target="#results"' in page and 'hx-swap="outerHTML"' in page
    assert '<section id="results"' in page


# --- what people type is text, shown escaped --------------------------------------------------

SCRIPT = '<script>alert("x")</script>'


def test_markup_is_stored_as_text_and_escaped_everywhere(
    client_a: Client, worker_a: Membership
) -> None:
    response = client_a.post(
        "/people/new/", {**FORM, "first_name": SCRIPT, "mailing_street": "<b>1</b> & Co"}
    )
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.first_name == SCRIPT
    pages = [
        text_of(client_a.get(response["Location"])),
        text_of(client_a.get("/people/")),
        text_of(client_a.get(f"/people/{person.public_id}/edit/")),
        text_of(client_a.get("/people/", {"q": SCRIPT})),
    ]
    for page in pages:
        assert SCRIPT not in page
        assert "&lt;script&gt;" in page
    assert "&lt;b&gt;1&lt;/b&gt; &amp; Co" in pages[0]


def test_a_refused_form_echoes_the_typed_values_escaped(client_a: Client) -> None:
    response = client_a.post("/people/new/", {**FORM, "first_name": SCRIPT, "email": "bad"})
    page = text_of(response)
    assert response.status_code == 400
    assert SCRIPT not in page and "&lt;script&gt;" in page


# --- bad input: status 400, messages next to the fields, nothing saved -----------------------

BAD_FORMS: list[tuple[str, dict[str, str], str]] = [
    ("no name", {"first_name": "", "second_name": ""}, "first_name"),
    ("blank name", {"first_name": "   ", "second_name": ""}, "first_name"),
    ("impossible date", {"birthdate": "1999-02-30"}, "birthdate"),
    ("date in words", {"birthdate": "2 April 1999"}, "birthdate"),
    ("date too early", {"birthdate": "0001-01-01"}, "birthdate"),
    ("date in the future", {"birthdate": "2999-01-01"}, "birthdate"),
    ("bad email", {"email": "olena@"}, "email"),
    ("bad phone", {"mobile_phone": "123"}, "mobile_phone"),
    ("letters for a phone", {"home_phone": "call me"}, "home_phone"),
    ("bad country", {"mailing_country": "ZZ"}, "mailing_country"),
    ("bad citizenship", {"citizenship": "UA, Moldova"}, "citizenship"),
    ("bad language", {"primary_language": "xx"}, "primary_language"),
    ("bad gender", {"gender": "Other"}, "gender"),
    ("too many children", {"number_of_children": "99"}, "number_of_children"),
    ("10,000-character name", {"first_name": "x" * 10_000}, "first_name"),
    ("long city", {"mailing_city": "y" * 101}, "mailing_city"),
    ("null byte", {"second_name": "Ko\x00valenko"}, "second_name"),
    ("latitude out of range", {"mailing_latitude": "123"}, "mailing_latitude"),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_FORMS], ids=[n for n, _, _ in BAD_FORMS]
)
def test_registering_with_bad_input_is_refused_with_a_message_by_the_field(
    client_a: Client, change: dict[str, str], field: str
) -> None:
    before = snapshot()
    response = client_a.post("/people/new/", {**FORM, **change})
    page = text_of(response)
    assert response.status_code == 400
    assert field_error(page, field).strip()
    assert f'id="id_{field}"' in page
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    assert 'role="alert"' in page  # the summary at the top
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in BAD_FORMS], ids=[n for n, _, _ in BAD_FORMS]
)
def test_editing_with_bad_input_is_refused_and_changes_nothing(
    client_a: Client, worker_a: Membership, change: dict[str, str], field: str
) -> None:
    person = register(worker_a)
    before = snapshot()
    response = client_a.post(f"/people/{person.public_id}/edit/", {**FORM, **change})
    assert response.status_code == 400
    assert field_error(text_of(response), field).strip()
    assert snapshot() == before


def test_every_mistake_is_shown_at_once(client_a: Client) -> None:
    response = client_a.post(
        "/people/new/",
        {
            "first_name": "",
            "birthdate": "x",
            "email": "x",
            "mobile_phone": "x",
            "gender": "Feminine",
        },
    )
    page = text_of(response)
    assert response.status_code == 400
    for field in ("first_name", "birthdate", "email", "mobile_phone"):
        assert field_error(page, field)


def test_a_huge_body_is_refused(client_a: Client) -> None:
    before = snapshot()
    response = client_a.post("/people/new/", {**FORM, "first_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 400
    assert snapshot() == before


def test_form_fields_outside_the_form_are_ignored(client_a: Client) -> None:
    response = client_a.post("/people/new/", {**FORM, "owner_organisation": "1", "bidx_email": "x"})
    assert response.status_code == 302
    assert Person.objects.get().bidx_email != "x"


# --- language ---------------------------------------------------------------------------------


def test_form_errors_come_in_the_language_of_the_request(
    client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No catalogues yet: mark each message with the language active when it was made, which
    # proves the message goes through gettext in the request's language.
    def tagged(message: str) -> str:
        return f"[{translation.get_language()}] {translation.gettext(message)}"

    monkeypatch.setattr(validation, "_", tagged)
    before = snapshot()
    response = client_a.post(
        "/people/new/", {**FORM, "email": "bad"}, headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert field_error(text_of(response), "email").startswith("[fr] ")
    assert '<html lang="fr"' in text_of(response)
    assert snapshot() == before


def test_the_language_cookie_chooses_the_language_too(client_a: Client) -> None:
    client_a.cookies["django_language"] = "fr"
    response = client_a.post("/people/new/", {**FORM, "email": "bad"})
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    # Holds before and after the French catalogue arrives: a message, next to the field.
    assert field_error(text_of(response), "email").strip()


# --- cost -------------------------------------------------------------------------------------


def list_page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/people/")
    assert response.status_code == 200
    return len(queries)


def test_the_list_page_costs_the_same_queries_for_5_or_30_persons(
    client_a: Client, worker_a: Membership
) -> None:
    for i in range(5):
        register(worker_a, **{**OLENA, "first_name": f"P{i}"})
    five = list_page_queries(client_a)
    for i in range(25):
        register(worker_a, **{**OLENA, "first_name": f"Q{i}"})
    thirty = list_page_queries(client_a)
    assert five == thirty
    assert five <= 20, five


@pytest.mark.django_db
def test_an_edit_form_that_leaves_fields_out_does_not_erase_them():
    """Security review L3: only posted fields change."""
    from palermo.people.models import Person

    membership = member(Role.CASE_WORKER)
    client = signed_in_client(membership)
    client.post(
        "/people/new/",
        {
            "first_name": "Olena",
            "second_name": "Koval",
            "birthdate": "1999-04-02",
            "email": "olena@example.org",
            "deceased_shown": "1",
        },
    )
    person = Person.objects.get()
    response = client.post(f"/people/{person.public_id}/edit/", {"first_name": "Olha"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Olha"
    assert person.second_name == "Koval"
    assert str(person.birthdate) == "1999-04-02"
    assert person.email == "olena@example.org"
