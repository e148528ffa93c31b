"""The people API through HTTP: JSON in, JSON out, one error envelope, typed OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.people import validation
from palermo.people.models import Person

from .json_api import error_of, patch_json, post_json
from .records import register, snapshot

pytestmark = pytest.mark.django_db

URL = "/api/people/"
BODY: dict[str, Any] = {
    "first_name": "Олена",
    "second_name": "Коваленко",
    "birthdate": "1999-04-02",
    "gender": "Feminine",
    "mobile_phone": "+380 67 123 4567",
    "email": "Olena.K@Example.org",
    "identity_number": "AB 123-456",
    "mailing_city": "Kyiv",
    "mailing_latitude": 50.4501,
    "citizenship": ["UA", "md"],
    "number_of_children": 2,
    "deceased": False,
}


# --- good paths -----------------------------------------------------------------------------


def test_create_returns_the_person_as_stored(client_a: Client) -> None:
    response = post_json(client_a, URL, BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    person = Person.objects.get()
    assert data["id"] == str(person.public_id)
    assert data["reference"] == person.reference
    assert data["first_name"] == "Олена"
    assert data["mobile_phone"] == "+380671234567"
    assert data["email"] == "olena.k@example.org"
    assert data["birthdate"] == "1999-04-02"
    assert data["citizenship"] == ["MD", "UA"]
    assert data["mailing_latitude"] == 50.4501
    assert data["visible_groups"] == ["contact", "identity", "location"]
    # Visible but not recorded: present, as null.
    assert data["middle_name"] is None and data["marital_status"] is None
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["person.create", "person.read"]


def test_get_one_person(client_a: Client, worker_a: Membership) -> None:
    person = register(worker_a)
    response = client_a.get(f"{URL}{person.public_id}")
    assert response.status_code == 200
    assert response.json()["second_name"] == "Коваленко"
    assert AuditEvent.objects.filter(action="person.read", object_id=str(person.public_id)).count()


def test_patch_changes_only_what_is_sent_and_audits_one_update_and_one_read(
    client_a: Client, worker_a: Membership
) -> None:
    person = register(worker_a)
    before = AuditEvent.objects.count()
    response = patch_json(client_a, f"{URL}{person.public_id}", {"mailing_city": "Lviv"})
    assert response.status_code == 200, response.content
    assert response.json()["mailing_city"] == "Lviv"
    assert response.json()["first_name"] == "Олена"
    new = list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))
    assert [e.action for e in new] == ["person.update", "person.read"]
    assert new[0].details == {"fields": ["mailing_city"]}


def test_patch_null_clears_a_field(client_a: Client, worker_a: Membership) -> None:
    person = register(worker_a)
    response = patch_json(client_a, f"{URL}{person.public_id}", {"email": None})
    assert response.status_code == 200
    assert response.json()["email"] is None
    person.refresh_from_db()
    assert person.email is None and person.bidx_email == ""


def test_list_and_paginate(client_a: Client, worker_a: Membership) -> None:
    for i in range(30):
        register(worker_a, first_name=f"P{i}")
    first = client_a.get(URL).json()
    assert (first["count"], first["page"], first["pages"]) == (30, 1, 2)
    assert len(first["results"]) == 25
    second = client_a.get(URL, {"page": 2}).json()
    assert len(second["results"]) == 5
    ids = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 30


def test_the_list_shows_the_identity_group_only_as_its_audit_says(
    client_a: Client, worker_a: Membership
) -> None:
    person = register(worker_a)
    row = client_a.get(URL).json()["results"][0]
    assert row["visible_groups"] == ["identity"]
    assert row["first_name"] == "Олена" and row["birthdate"] == "1999-04-02"
    assert "email" not in row and "mobile_phone" not in row and "mailing_city" not in row
    event = AuditEvent.objects.filter(action="person.list").latest("sequence")
    assert event.field_groups == ["identity"]
    assert event.details["persons"] == [str(person.public_id)]


@pytest.mark.parametrize(
    "query",
    [
        "Олена",
        "olena",
        "kovalenko",
        "Olena Kovalenko",
        "1999-04-02",
        "+380 67 123 4567",
        "0671234567",
        "OLENA.K@EXAMPLE.ORG",
        "ab123456",
        "AB-123 456",
    ],
)
def test_search(client_a: Client, worker_a: Membership, query: str) -> None:
    olena = register(worker_a)
    register(worker_a, first_name="Ivan", second_name="Petrenko")
    data = client_a.get(URL, {"q": query}).json()
    assert [r["id"] for r in data["results"]] == [str(olena.public_id)]
    assert data["count"] == 1


def test_a_search_with_no_result_audits_nothing(client_a: Client, worker_a: Membership) -> None:
    register(worker_a)
    before = AuditEvent.objects.count()
    assert client_a.get(URL, {"q": "nobody"}).json()["results"] == []
    assert AuditEvent.objects.count() == before


def test_a_bearer_token_works_like_the_session(worker_a: Membership) -> None:
    from palermo.accounts.actors import Actor
    from palermo.accounts.services import api_token_create

    person = register(worker_a)
    _token, secret = api_token_create(
        actor=Actor.system("test"),
        membership=worker_a,
        name="case system",
        purpose="assistance",
        expires_in_days=1,
    )
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get(f"{URL}{person.public_id}").json()["first_name"] == "Олена"
    assert client.get(URL).json()["count"] == 1


def test_without_credentials_the_answer_is_401(worker_a: Membership) -> None:
    person = register(worker_a)
    for response in (
        Client().get(URL),
        Client().get(f"{URL}{person.public_id}"),
        post_json(Client(), URL, BODY),
        patch_json(Client(), f"{URL}{person.public_id}", {"first_name": "X"}),
    ):
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"


# --- bad input: 400 with the envelope, and nothing saved or audited ---------------------------

BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("no name", {"birthdate": "1990-01-01"}, "first_name"),
    ("null name", {"first_name": None, "second_name": None}, "first_name"),
    ("empty name", {"first_name": "  "}, "first_name"),
    ("impossible date", {"first_name": "A", "birthdate": "1999-02-30"}, "birthdate"),
    ("date in another format", {"first_name": "A", "birthdate": "02.04.1999"}, "birthdate"),
    ("year one", {"first_name": "A", "birthdate": "0001-01-01"}, "birthdate"),
    ("bad email", {"first_name": "A", "email": "a@b"}, "email"),
    ("bad phone", {"first_name": "A", "mobile_phone": "+1"}, "mobile_phone"),
    ("bad country", {"first_name": "A", "mailing_country": "QQ"}, "mailing_country"),
    ("bad citizenship", {"first_name": "A", "citizenship": ["UA", "EU"]}, "citizenship"),
    ("bad language", {"first_name": "A", "primary_language": "qq"}, "primary_language"),
    ("bad gender", {"first_name": "A", "gender": "F"}, "gender"),
    ("10,000-character name", {"first_name": "x" * 10_000}, "first_name"),
    ("long phone", {"first_name": "A", "mobile_phone": "1" * 41}, "mobile_phone"),
    ("null byte", {"first_name": "A\u0000"}, "first_name"),
    ("bidi override", {"first_name": "A\u202eB"}, "first_name"),
    ("lone surrogate", {"first_name": "\ud800"}, "first_name"),
    ("number for a name", {"first_name": 42}, "first_name"),
    ("list for a name", {"first_name": ["Olena"]}, "first_name"),
    ("bool for a name", {"first_name": True}, "first_name"),
    ("string for citizenship", {"first_name": "A", "citizenship": "UA"}, "citizenship"),
    ("too many citizenships", {"first_name": "A", "citizenship": ["UA"] * 11}, "citizenship"),
    ("number in citizenship", {"first_name": "A", "citizenship": [1]}, "citizenship.0"),
    ("object for a date", {"first_name": "A", "birthdate": {"y": 1999}}, "birthdate"),
    ("number for a date", {"first_name": "A", "birthdate": 0}, "birthdate"),
    ("string for a count", {"first_name": "A", "number_of_children": "2"}, "number_of_children"),
    ("float for a count", {"first_name": "A", "number_of_children": 2.5}, "number_of_children"),
    ("bool for a count", {"first_name": "A", "number_of_children": True}, "number_of_children"),
    ("huge count", {"first_name": "A", "number_of_children": 10**30}, "number_of_children"),
    ("negative count", {"first_name": "A", "number_of_children": -1}, "number_of_children"),
    ("string for a bool", {"first_name": "A", "deceased": "yes"}, "deceased"),
    ("number for a bool", {"first_name": "A", "deceased": 1}, "deceased"),
    ("latitude too big", {"first_name": "A", "mailing_latitude": 1e300}, "mailing_latitude"),
    ("latitude as text", {"first_name": "A", "mailing_latitude": "north"}, "mailing_latitude"),
    ("unknown field", {"first_name": "A", "is_admin": True}, "is_admin"),
    ("internal field", {"first_name": "A", "bidx_email": "x"}, "bidx_email"),
    ("owner by the client", {"first_name": "A", "owner_organisation": 1}, "owner_organisation"),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
def test_create_with_bad_input_is_refused(
    client_a: Client, body: dict[str, Any], field: str
) -> None:
    before = snapshot()
    response = post_json(client_a, URL, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert all(isinstance(m, str) and m for m in error["fields"][field])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
def test_patch_with_bad_input_is_refused(
    client_a: Client, worker_a: Membership, body: dict[str, Any], field: str
) -> None:
    person = register(worker_a)
    body = {k: v for k, v in body.items() if not (k == "first_name" and v == "A")}
    if field == "first_name":
        # On a change, what is refused is leaving the person without any name.
        body.setdefault("first_name", None)
        body.setdefault("second_name", None)
    before = snapshot()
    response = patch_json(client_a, f"{URL}{person.public_id}", body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"], error
    assert snapshot() == before


def test_messages_are_specific(client_a: Client) -> None:
    error = error_of(post_json(client_a, URL, {"first_name": "x" * 101, "is_admin": 1}))
    assert error["fields"]["first_name"] == ["Use at most 100 characters."]
    assert error["fields"]["is_admin"] == ["This field is not accepted here."]
    error = error_of(post_json(client_a, URL, {"first_name": "A", "email": "nope"}))
    assert error["fields"] == {"email": ["Enter a valid email address, like name@example.org."]}
    error = error_of(post_json(client_a, URL, {"second_name": ""}))
    assert "name" in error["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b'{"first_name": NaN}',
        b'{"first_name": "A", "mailing_latitude": Infinity}',
        b'{"first_name": "\xff\xfe"}',
        b"\xef\xbb\xbf{}",
        b'["first_name"]',
        b'"Olena"',
        b"null",
        b'{"number_of_children": ' + b"9" * 5000 + b"}",
    ],
    ids=lambda raw: raw[:24].decode("latin-1"),
)
def test_a_body_that_is_not_a_json_object_is_refused(client_a: Client, raw: bytes) -> None:
    before = snapshot()
    response = post_json(client_a, URL, raw)
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] in {"malformed", "invalid"}
    assert snapshot() == before


def test_a_huge_body_is_refused_with_413(client_a: Client) -> None:
    before = snapshot()
    response = post_json(client_a, URL, {"first_name": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert snapshot() == before


def test_bad_list_parameters_are_refused(client_a: Client) -> None:
    for params in ({"page": "0"}, {"page": "x"}, {"q": "q" * 201}):
        response = client_a.get(URL, params)
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid"


# --- language ---------------------------------------------------------------------------------


def test_errors_come_in_the_language_of_the_request(
    client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mark each message with the language active when it was made: this proves the
    # message goes through gettext in the request's language, catalogues or not.
    def tagged(message: str) -> str:
        return f"[{translation.get_language()}] {translation.gettext(message)}"

    monkeypatch.setattr(validation, "_", tagged)
    response = post_json(
        client_a, URL, {"first_name": "A", "email": "bad"}, headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"]["email"][0].startswith("[fr] ")


def test_french_requests_get_french_responses(client_a: Client) -> None:
    # Holds now and once the French catalogue exists: a stable code, a message, French content.
    response = post_json(client_a, URL, {"email": "bad"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 400
    assert response["Content-Language"] == "fr"
    assert "Accept-Language" in response["Vary"]
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "first_name"}
    client_a.cookies["django_language"] = "fr"
    assert post_json(client_a, URL, {"email": "bad"})["Content-Language"] == "fr"


# --- the OpenAPI document -----------------------------------------------------------------------


def test_openapi_describes_real_schemas(client_a: Client) -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    schemas = spec["components"]["schemas"]
    person = schemas["PersonOut"]
    required = set(person["required"])
    assert {"id", "reference", "visible_groups", "gender"} <= required
    personal = {"first_name", "birthdate", "email", "mobile_phone", "mailing_city"}
    assert personal <= set(person["properties"])
    assert not personal & required  # withheld groups are absent, so optional
    assert set(schemas["PersonIn"]["properties"]) >= personal
    assert schemas["PersonIn"].get("additionalProperties") is False
    assert schemas["PersonPage"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/PersonOut"
    }
    paths = spec["paths"]
    assert paths["/api/people/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/PersonPage"}
    one = paths["/api/people/{public_id}"]
    for method, status in (("get", "200"), ("patch", "200")):
        schema = one[method]["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/PersonOut"}
        assert "404" in one[method]["responses"]
    created = paths["/api/people/"]["post"]["responses"]["201"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/PersonOut"}
    assert set(schemas["ErrorBody"]["properties"]) == {"code", "message", "fields"}


def test_the_docs_page_is_served(client_a: Client) -> None:
    response = client_a.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
