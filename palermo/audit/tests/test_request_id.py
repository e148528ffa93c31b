"""The request id in audit events is the server's, whatever the client sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from palermo.audit.context import upstream_request_id
from palermo.audit.models import AuditEvent
from palermo.audit.services import audit_record


def _audited(request: HttpRequest) -> HttpResponse:
    """Any audited request: what a service does inside a real request."""
    audit_record(actor=None, action="test.request", object_type="test")
    return HttpResponse("ok")


urlpatterns = [path("audited/", _audited)]


@pytest.fixture
def audited_request(db: None) -> object:
    """Send a request through the whole middleware stack; its response and audit event."""

    def send(**headers: str) -> tuple[HttpResponse, AuditEvent]:
        with override_settings(ROOT_URLCONF=__name__):
            response = Client().get("/audited/", headers=headers)
        assert response.status_code == 200
        event = AuditEvent.objects.order_by("-sequence").first()
        assert event is not None and event.action == "test.request"
        return response, event

    return send


def test_an_incoming_request_id_never_reaches_the_audit_log(audited_request: Any) -> None:
    response, event = audited_request(**{"X-Request-ID": "chosenbyclient42"})
    assert event.request_id != "chosenbyclient42"
    assert event.request_id == response["X-Request-ID"]
    assert len(event.request_id) == 32
    # Kept apart for correlating with a proxy's logs.
    assert response["X-Upstream-Request-ID"] == "chosenbyclient42"


def test_the_same_incoming_id_twice_gives_two_server_ids(audited_request: Any) -> None:
    headers = {"X-Request-ID": "replayed"}
    first, first_event = audited_request(**headers)
    second, second_event = audited_request(**headers)
    assert first_event.request_id != second_event.request_id
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    ["x" * 65, "<script>alert(1)</script>", "two words", "-leading-dash", "ab\tcd", "é"],
)
def test_an_unsafe_incoming_id_is_dropped(audited_request: Any, incoming: str) -> None:
    response, event = audited_request(**{"X-Request-ID": incoming})
    assert not response.has_header("X-Upstream-Request-ID")
    assert event.request_id == response["X-Request-ID"] != incoming


def test_without_an_incoming_id_there_is_no_upstream_header(audited_request: Any) -> None:
    response, event = audited_request()
    assert len(response["X-Request-ID"]) == 32 and event.request_id == response["X-Request-ID"]
    assert not response.has_header("X-Upstream-Request-ID")


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        (None, ""),
        ("", ""),
        ("a1b2c3", "a1b2c3"),
        ("Root=1-67891233-abcdef0123", ""),  # "=" is not ours: dropped, not repaired
        ("req-42.edge:7", "req-42.edge:7"),
        ("0" * 64, "0" * 64),
        ("0" * 65, ""),
        ("a\nb", ""),
    ],
)
def test_upstream_ids_are_kept_only_when_plain(incoming: str | None, kept: str) -> None:
    assert upstream_request_id(incoming) == kept
