"""Nothing acknowledged that is not durable: the spool while the database refuses connections,
its replay, and retries that never duplicate (also when they race)."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from palermo.channels import ingestion, spool, tasks
from palermo.channels.models import Channel, Conversation, Direction, Message

from .conftest import generic_post, make_channel, twilio_post, twilio_sms

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed when the block ends: nothing listens


@contextmanager
def database_refusing_connections() -> Iterator[None]:
    """Point this thread's default connection at a database that cannot be reached.

    PostgreSQL: a port on 127.0.0.1 where nothing listens (the connection is refused).
    SQLite: a file in a directory that does not exist (the open fails). Both are real
    failures to connect, raised by the driver as OperationalError.
    """
    original = connections["default"]
    settings_dict = dict(original.settings_dict)
    if original.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
        settings_dict.setdefault("OPTIONS", {})
        settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], "connect_timeout": 2}
    else:
        settings_dict["NAME"] = "/nonexistent-palermo-directory/refused.sqlite3"
    broken = original.__class__(settings_dict, alias="default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = original


def _generic(message_id: str, text: str = "Ajutor, vă rog") -> dict[str, str]:
    return {"id": message_id, "from": "+37369000111", "to": "527", "text": text}


def _inbound(provider_id: str | None = None) -> int:
    messages = Message.objects.filter(direction=Direction.INBOUND)
    if provider_id is not None:
        messages = messages.filter(provider_message_id=provider_id)
    return messages.count()


def test_database_refusing_connections_really_fails() -> None:
    with database_refusing_connections(), pytest.raises(OperationalError):
        Channel.objects.count()


def test_message_is_spooled_acknowledged_and_replayed_once(
    client: Client, generic_channel: Channel, channel_state: Path
) -> None:
    ingestion.forget_cached_channels()  # as in a fresh server process: nothing cached
    with database_refusing_connections():
        response = generic_post(client, generic_channel, _generic("down-1"))
        retry = generic_post(client, generic_channel, _generic("down-1"))  # the gateway retries
    assert response.status_code == retry.status_code == 200
    assert json.loads(response.content) == {"status": "spooled"}
    assert _inbound() == 0
    files = spool.spooled_files()
    assert len(files) == 2

    report = tasks.replay_spool.call()  # what the worker's periodic job runs
    assert report["replayed"] == 2 and report["duplicates"] == 1 and report["remaining"] == 0
    assert _inbound("down-1") == 1
    assert spool.spooled_files() == []
    # A later retry from the gateway, and another replay, change nothing.
    assert generic_post(client, generic_channel, _generic("down-1")).status_code == 200
    assert spool.replay().replayed == 0
    assert _inbound("down-1") == 1
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.text == "Ajutor, vă rog"


def test_spool_file_is_private_encrypted_and_durable(
    client: Client, generic_channel: Channel, channel_state: Path
) -> None:
    with database_refusing_connections():
        generic_post(client, generic_channel, _generic("down-2", text="secret words"))
    (path,) = spool.spooled_files()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert content.startswith(b"pv1:")
    assert b"secret words" not in content and b"+37369000111" not in content
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    webhook, verified = spool.read(path)
    assert webhook.channel_id == str(generic_channel.public_id)
    assert json.loads(webhook.body)["text"] == "secret words"
    assert verified is False  # nothing was cached: checked when replayed


def test_twilio_message_spooled_while_down_keeps_what_reverifying_needs(
    client: Client, twilio_channel: Channel
) -> None:
    ingestion.forget_cached_channels()
    with database_refusing_connections():
        response = twilio_post(client, twilio_channel, twilio_sms("SMdown"))
    assert response.status_code == 200 and b"<Response/>" in response.content
    assert _inbound() == 0
    report = spool.replay()
    assert report.replayed == 1 and report.rejected == 0
    assert _inbound("SMdown") == 1


def test_forged_request_spooled_while_down_is_rejected_on_replay(
    client: Client, generic_channel: Channel
) -> None:
    ingestion.forget_cached_channels()
    with database_refusing_connections():
        response = generic_post(
            client, generic_channel, _generic("forged"), secret="not-the-key-0123456789"
        )
    assert response.status_code == 200  # the secret was out of reach: checked on replay
    report = spool.replay()
    assert report.rejected == 1 and report.replayed == 0
    assert _inbound() == 0
    rejected = list((spool.spool_dir() / spool.REJECTED).iterdir())
    assert len(rejected) == 1  # kept for the operator, not silently dropped


def test_known_channel_still_checks_signatures_while_the_database_is_down(
    client: Client, generic_channel: Channel
) -> None:
    assert generic_post(client, generic_channel, _generic("warm")).status_code == 200  # cached
    with database_refusing_connections():
        forged = generic_post(client, generic_channel, _generic("f2"), secret="wrong-key-000000")
        good = generic_post(client, generic_channel, _generic("ok2"))
    assert forged.status_code == 403
    assert good.status_code == 200
    (path,) = spool.spooled_files()
    assert spool.read(path)[1] is True  # verified before it was spooled
    spool.replay()
    assert _inbound("ok2") == 1 and _inbound("f2") == 0


def test_nothing_is_acknowledged_when_the_spool_cannot_be_written_either(
    client: Client, generic_channel: Channel, channel_state: Path
) -> None:
    channel_state.parent.mkdir(parents=True, exist_ok=True)
    channel_state.write_text("a file where the spool directory should be")
    with database_refusing_connections():
        response = generic_post(client, generic_channel, _generic("lost?"))
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "unavailable"
    assert _inbound() == 0


def test_write_failing_mid_transaction_is_spooled_not_half_stored(
    client: Client, generic_channel: Channel
) -> None:
    """The database accepts the connection but fails the write (as when it goes down
    between two statements): nothing half-stored, the request is spooled."""

    def fail_inserts(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "INSERT INTO" in sql.upper() and '"channels_message"' in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_inserts):
        response = generic_post(client, generic_channel, _generic("mid-1"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "spooled"}
    assert _inbound() == 0 and Conversation.objects.count() == 0
    assert spool.replay().replayed == 1
    assert _inbound("mid-1") == 1


def test_replay_stops_while_the_database_is_still_down_and_keeps_the_files(
    client: Client, generic_channel: Channel
) -> None:
    ingestion.forget_cached_channels()
    with database_refusing_connections():
        for index in range(3):
            generic_post(client, generic_channel, _generic(f"keep-{index}"))
        report = spool.replay()
    assert report.replayed == 0 and report.stopped_by and report.remaining == 3
    assert spool.replay().replayed == 3
    assert _inbound() == 3


def test_replay_spool_command(client: Client, generic_channel: Channel) -> None:
    from io import StringIO

    from django.core.management import call_command

    with database_refusing_connections():
        generic_post(client, generic_channel, _generic("cmd-1"))
    out = StringIO()
    call_command("channel", "replay-spool", stdout=out)
    assert "replayed 1" in out.getvalue() and "remaining 0" in out.getvalue()
    assert _inbound("cmd-1") == 1


def _dispatch_all() -> None:
    """What the worker does for every stored message (again, where a dispatch run at commit
    met SQLite's lock in these threads): dispatching is idempotent."""
    from palermo.channels.dispatch import dispatch_inbound

    for pk in Message.objects.filter(direction=Direction.INBOUND).values_list("pk", flat=True):
        dispatch_inbound(pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_message_are_stored_once() -> None:
    """Eight retries of one message at once, each on its own connection: one row."""
    channel = make_channel("generic", address="529")
    sms = _generic("race-1")
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(generic_post(Client(), channel, sms).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert statuses == [200] * 8
    spool.replay()  # SQLite may have spooled some while its lock was held: none is lost
    assert _inbound("race-1") == 1
    assert Conversation.objects.count() == 1
    _dispatch_all()
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1  # one reply


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_of_one_sender_make_one_conversation() -> None:
    channel = make_channel("generic", address="530")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def send(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            response = generic_post(Client(), channel, _generic(f"first-{index}"))
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 6
    spool.replay()
    assert _inbound() == 6
    assert Conversation.objects.count() == 1
    _dispatch_all()
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_spool_write_is_atomic_when_the_disk_fails(
    generic_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from palermo.channels.webhooks import WebhookRequest

    webhook = WebhookRequest(
        channel_type="generic",
        channel_id=str(generic_channel.public_id),
        kind="receive",
        url="http://testserver/c/generic/x/receive",
        body=b"{}",
    )

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        spool.write(webhook, verified=False)
    monkeypatch.undo()
    assert spool.spooled_files() == []
    assert [p.name for p in spool.spool_dir().iterdir()] == []  # no half-written file either


def test_a_full_spool_refuses_rather_than_fills_the_disk(
    client: Client, generic_channel: Channel, settings: Any
) -> None:
    settings.PALERMO_CHANNELS = {**settings.PALERMO_CHANNELS, "SPOOL_MAX_FILES": 2}
    spool._counted.clear()
    with database_refusing_connections():
        codes = [
            generic_post(client, generic_channel, _generic(f"full-{i}")).status_code
            for i in range(3)
        ]
    assert codes == [200, 200, 503]
    assert len(spool.spooled_files()) == 2
