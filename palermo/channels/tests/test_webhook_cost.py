"""What one inbound SMS costs the database, kept at its measured minimum.

With the database task backend (production) the webhook request writes the message and
nothing else: one statement on PostgreSQL whatever the case (new sender, known sender, a retry
of a stored message), a handful on SQLite. A regression here is a regression of the
benchmark's throughput (bench/intake.py), so the counts are exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from palermo.channels import spool
from palermo.channels.models import Channel, Conversation, Direction, Message

from .conftest import generic_post

SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def outbox() -> Iterator[None]:
    """Tasks through the database, as in production: messages wait in the outbox."""
    with override_settings(TASKS=DB_TASKS):
        yield


def _sms(message_id: str, sender: str = "+37369000333") -> dict[str, str]:
    return {"id": message_id, "from": sender, "to": "527", "text": "Ajutor, vă rog"}


def _statements(client: Client, channel: Channel, payload: dict[str, str]) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = generic_post(client, channel, payload)
    assert response.status_code == 200, response.content
    # The savepoints are the test's: it runs inside a transaction that production has not.
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(SAVEPOINTS)]
    return len(statements), json.loads(response.content)["status"]


# PostgreSQL: one statement stores the message, creating the sender's conversation if needed,
# and finds the stored one on a retry. SQLite (no data-modifying CTEs): read the conversation,
# create it for a new sender, insert the message, and read the stored one on a retry.
EXPECTED = {
    "postgresql": {"new sender": 1, "known sender": 1, "retry": 1},
    "sqlite": {"new sender": 3, "known sender": 2, "retry": 3},
}


@pytest.mark.django_db
@pytest.mark.usefixtures("outbox")
@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "not-prepared"])
def test_one_inbound_sms_costs_the_fewest_statements(
    client: Client, generic_channel: Channel, settings: Any, prepared: bool
) -> None:
    settings.PALERMO_CHANNELS = {**settings.PALERMO_CHANNELS, "PREPARED_STATEMENTS": prepared}
    expected = EXPECTED[connection.vendor]
    generic_post(client, generic_channel, _sms("warm-up", sender="+37369000999"))  # caches

    assert _statements(client, generic_channel, _sms("cost-1")) == (
        expected["new sender"],
        "stored",
    )
    assert _statements(client, generic_channel, _sms("cost-2")) == (
        expected["known sender"],
        "stored",
    )
    assert _statements(client, generic_channel, _sms("cost-1")) == (expected["retry"], "duplicate")
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 3
    assert Conversation.objects.count() == 2
    # The outbox holds them for the worker: nothing else was written in the request.
    assert Message.objects.filter(handed_off=False).count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("outbox")
def test_a_retry_gets_the_id_the_first_answer_gave(
    client: Client, generic_channel: Channel
) -> None:
    first = json.loads(generic_post(client, generic_channel, _sms("same-id")).content)
    again = json.loads(generic_post(client, generic_channel, _sms("same-id")).content)
    assert (first["status"], again["status"]) == ("stored", "duplicate")
    assert first["id"] == again["id"]
    stored = Message.objects.get(provider_message_id="same-id")
    assert str(stored.public_id) == first["id"]


@pytest.fixture
def persistent_connection() -> Iterator[None]:
    """A connection kept between requests, with Django's health checks on (production)."""
    saved = {k: connection.settings_dict.get(k) for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=None, CONN_HEALTH_CHECKS=True)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _terminate_backend_of(pid: int) -> None:
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("outbox", "persistent_connection")
def test_a_dead_kept_connection_is_replaced_without_the_per_request_health_check(
    generic_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store skips the SELECT 1 of CONN_HEALTH_CHECKS; a connection that died between
    requests (a database restart) fails the store, which runs again on a fresh one: stored,
    not spooled, and stored once."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite connections are not kept between requests")
    client = Client()
    assert generic_post(client, generic_channel, _sms("alive-1")).status_code == 200
    assert connection.connection is not None  # kept for the next request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    checks: list[bool] = []
    real_is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(True) or real_is_usable())

    response = generic_post(client, generic_channel, _sms("alive-2"))  # healthy: no check
    assert json.loads(response.content)["status"] == "stored"
    assert checks == []

    _terminate_backend_of(pid)  # the server ends the session the connection belongs to
    response = generic_post(client, generic_channel, _sms("after-restart"))
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "stored"  # not "spooled"
    assert checks == []  # found dead by the store itself, which ran again on a new one
    assert spool.spooled_files() == []
    assert Message.objects.filter(provider_message_id="after-restart").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid  # a new session
