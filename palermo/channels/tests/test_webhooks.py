"""The gateways' webhooks through HTTP: authenticity, parsing, storing once, threading,
automatic replies and delivery reports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from palermo.channels import handoff
from palermo.channels.models import (
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from palermo.channels.providers import RecordingProvider
from palermo.channels.threads import urn_index

from .conftest import (
    AT_SECRET,
    at_post,
    generic_post,
    make_channel,
    twilio_post,
    twilio_sms,
    url_of,
)

pytestmark = pytest.mark.django_db


def _nothing_stored() -> None:
    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 0


def _error(response: Any) -> dict[str, Any]:
    return dict(json.loads(response.content)["error"])


# --- Twilio ---------------------------------------------------------------------------------


def test_twilio_message_signed_by_the_official_validator_is_stored(
    client: Client, twilio_channel: Channel
) -> None:
    response = twilio_post(client, twilio_channel, twilio_sms("SM" + "a" * 32, body="Ajutor!"))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Response/>" in response.content
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.provider_message_id == "SM" + "a" * 32
    assert message.text == "Ajutor!"
    assert message.status == MessageStatus.RECEIVED
    assert message.channel == twilio_channel
    assert message.conversation.urn == "tel:+37369123456"


def test_twilio_message_text_and_sender_are_encrypted_at_rest(
    client: Client, twilio_channel: Channel
) -> None:
    from django.db import connection

    twilio_post(client, twilio_channel, twilio_sms("SM1", body="my passport was taken"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM channels_message WHERE direction = 'in'")
        (stored_text,) = cursor.fetchone()
        cursor.execute("SELECT urn FROM channels_conversation")
        (stored_urn,) = cursor.fetchone()
    assert stored_text.startswith("pv1:") and "passport" not in stored_text
    assert stored_urn.startswith("pv1:") and "69123456" not in stored_urn


@pytest.mark.parametrize(
    "signature",
    ["", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "not base64 at all"],
    ids=["missing", "other-request", "garbage"],
)
def test_twilio_wrong_or_missing_signature_is_refused_and_nothing_stored(
    client: Client, twilio_channel: Channel, signature: str
) -> None:
    response = twilio_post(client, twilio_channel, twilio_sms("SM2"), signature=signature)
    assert response.status_code == 403
    assert _error(response)["code"] == "bad_signature"
    _nothing_stored()


def test_twilio_signature_with_another_token_is_refused(
    client: Client, twilio_channel: Channel
) -> None:
    response = twilio_post(client, twilio_channel, twilio_sms("SM3"), token="another-token-xyz")
    assert response.status_code == 403
    _nothing_stored()


def test_twilio_signature_over_tampered_params_is_refused(
    client: Client, twilio_channel: Channel
) -> None:
    from twilio.request_validator import RequestValidator

    from .conftest import TWILIO_TOKEN

    params = twilio_sms("SM4", body="original")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url_of(twilio_channel), params)
    tampered = {**params, "Body": "changed"}
    response = twilio_post(client, twilio_channel, tampered, signature=signature)
    assert response.status_code == 403
    _nothing_stored()


def test_twilio_url_with_default_port_is_accepted(client: Client, twilio_channel: Channel) -> None:
    """Twilio may sign the URL with or without :443 / :80; both must verify."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from .conftest import TWILIO_TOKEN

    params = twilio_sms("SM5")
    signed_url = url_of(twilio_channel, host="http://testserver:80")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(signed_url, params)
    response = client.post(
        url_of(twilio_channel),
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert Message.objects.filter(provider_message_id="SM5").exists()


def test_twilio_signature_is_checked_against_the_public_url_behind_a_proxy(
    client: Client, twilio_channel: Channel, settings: Any
) -> None:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from .conftest import TWILIO_TOKEN

    settings.PALERMO_CHANNELS = {**settings.PALERMO_CHANNELS, "PUBLIC_URL": "https://sms.example"}
    params = twilio_sms("SM6")
    public = url_of(twilio_channel, host="https://sms.example")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public, params)
    response = client.post(
        url_of(twilio_channel),
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    # Signed for the internal address instead: refused.
    response = twilio_post(client, twilio_channel, twilio_sms("SM7"))
    assert response.status_code == 403


def test_twilio_json_body_with_body_sha256_is_accepted(
    client: Client, twilio_channel: Channel
) -> None:
    import hashlib

    from twilio.request_validator import RequestValidator

    from .conftest import TWILIO_TOKEN

    body = json.dumps(twilio_sms("SM8")).encode()
    url = url_of(twilio_channel) + "?bodySHA256=" + hashlib.sha256(body).hexdigest()
    validator = RequestValidator(TWILIO_TOKEN)
    signature = validator.compute_signature(url, {})
    assert validator.validate(url, body.decode(), signature)  # the official check agrees
    response = client.post(
        url, data=body, content_type="application/json", headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200, response.content
    # The same signature over another body fails its bodySHA256.
    response = client.post(
        url,
        data=json.dumps(twilio_sms("SM9")).encode(),
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_twilio_retry_of_the_same_message_is_stored_once(
    client: Client, twilio_channel: Channel
) -> None:
    first = twilio_post(client, twilio_channel, twilio_sms("SMretry"))
    again = twilio_post(client, twilio_channel, twilio_sms("SMretry"))
    assert first.status_code == again.status_code == 200
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_twilio_signed_but_without_message_sid_is_a_clear_400(
    client: Client, twilio_channel: Channel
) -> None:
    params = twilio_sms("x")
    del params["MessageSid"], params["SmsSid"]
    response = twilio_post(client, twilio_channel, params)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "malformed" and "MessageSid" in error["message"]
    _nothing_stored()


# --- Africa's Talking -----------------------------------------------------------------------


def _at_sms(message_id: str, sender: str = "+254722000111", text: str = "Help") -> dict:
    return {
        "id": message_id,
        "from": sender,
        "to": "+254711000111",
        "text": text,
        "date": "2024-05-01 10:00:00",
        "linkId": "abc",
        "networkCode": "63902",
    }


def test_africastalking_message_with_the_url_secret_is_stored(
    client: Client, at_channel: Channel
) -> None:
    response = at_post(client, at_channel, _at_sms("ATXid_1"))
    assert response.status_code == 200, response.content
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.provider_message_id == "ATXid_1"
    assert message.conversation.urn == "tel:+254722000111"


@pytest.mark.parametrize("secret", [None, "wrong-secret", AT_SECRET[:-1]])
def test_africastalking_without_the_right_url_secret_is_refused(
    client: Client, at_channel: Channel, secret: str | None
) -> None:
    response = at_post(client, at_channel, _at_sms("ATXid_2"), secret=secret)
    assert response.status_code == 403
    _nothing_stored()


def test_africastalking_is_deduplicated_on_id(client: Client, at_channel: Channel) -> None:
    for _ in range(3):
        assert at_post(client, at_channel, _at_sms("ATXid_3")).status_code == 200
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    response = at_post(client, at_channel, _at_sms("ATXid_3"))
    assert json.loads(response.content)["status"] == "duplicate"


# --- generic --------------------------------------------------------------------------------


def _generic(message_id: str, sender: str = "+37369000111", text: str = "Salut") -> dict:
    return {"id": message_id, "from": sender, "to": "527", "text": text}


def test_generic_signed_message_is_stored(client: Client, generic_channel: Channel) -> None:
    response = generic_post(client, generic_channel, _generic("g-1"))
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    message = Message.objects.get(direction=Direction.INBOUND)
    assert data == {"status": "stored", "id": str(message.public_id)}


@pytest.mark.parametrize(
    ("sign", "secret"),
    [(False, ""), (True, "another-key-0123456789abcdef")],
    ids=["missing", "wrong-key"],
)
def test_generic_wrong_or_missing_signature_is_refused(
    client: Client, generic_channel: Channel, sign: bool, secret: str
) -> None:
    response = generic_post(
        client, generic_channel, _generic("g-2"), sign=sign, secret=secret or "x"
    )
    assert response.status_code == 403
    _nothing_stored()


def test_generic_signature_header_without_prefix_is_accepted(
    client: Client, generic_channel: Channel
) -> None:
    from palermo.channels.signatures import generic_signature

    from .conftest import GENERIC_SECRET

    body = json.dumps(_generic("g-3")).encode()
    response = client.post(
        url_of(generic_channel),
        data=body,
        content_type="application/json",
        headers={"X-Palermo-Signature": generic_signature(GENERIC_SECRET, body)},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "not valid UTF-8 JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"id": "x", "text": "t"}', "“from” is missing"),
        (b'{"from": "+37369000111", "text": "t"}', "“id” is missing"),
        (b'{"id": 5, "from": "+37369000111"}', "“id” must be text"),
        (b'{"id": "x", "from": "not a number!"}', "not a phone number"),
        (b'{"id": "x", "from": "+37369000111", "text": NaN}', "not valid UTF-8 JSON"),
        ('{"id": "x", "from": "+1"}'.encode("utf-16"), "not valid UTF-8 JSON"),
        (json.dumps({"id": "x" * 65, "from": "+37369000111"}).encode(), "longer than 64"),
    ],
)
def test_generic_malformed_body_is_a_clear_400_and_nothing_stored(
    client: Client, generic_channel: Channel, raw: bytes, expected: str
) -> None:
    response = generic_post(client, generic_channel, None, raw=raw)
    assert response.status_code == 400, response.content
    error = _error(response)
    assert error["code"] == "malformed"
    assert expected in error["message"]
    _nothing_stored()


def test_oversized_body_is_a_clear_400_and_nothing_stored(
    client: Client, generic_channel: Channel
) -> None:
    payload = _generic("g-big", text="x" * (70 * 1024))
    response = generic_post(client, generic_channel, payload)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "too_large" and "65536 bytes" in error["message"]
    _nothing_stored()


def test_unknown_channel_is_404(client: Client, generic_channel: Channel) -> None:
    body = json.dumps(_generic("g-4")).encode()
    for url in (
        "/c/generic/00000000-0000-4000-8000-000000000000/receive",
        f"/c/twilio/{generic_channel.public_id}/receive",  # the type must match too
        f"/c/sms/{generic_channel.public_id}/receive",
        f"/c/generic/{'-' * 36}/receive",
    ):
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 404, url
    _nothing_stored()


def test_inactive_channel_is_404(client: Client, generic_channel: Channel) -> None:
    from palermo.accounts.actors import Actor
    from palermo.channels.services import channel_deactivate

    channel_deactivate(actor=Actor.system("test"), channel=generic_channel)
    response = generic_post(client, generic_channel, _generic("g-5"))
    assert response.status_code == 404
    _nothing_stored()


def test_only_post_is_allowed(client: Client, generic_channel: Channel) -> None:
    assert client.get(url_of(generic_channel)).status_code == 405
    assert client.put(url_of(generic_channel)).status_code == 405


def test_trailing_slash_is_accepted(client: Client, generic_channel: Channel) -> None:
    from palermo.channels.signatures import generic_signature_header

    from .conftest import GENERIC_SECRET

    body = json.dumps(_generic("g-6")).encode()
    response = client.post(
        url_of(generic_channel) + "/",
        data=body,
        content_type="application/json",
        headers={"X-Palermo-Signature": generic_signature_header(GENERIC_SECRET, body)},
    )
    assert response.status_code == 200


def test_repeated_bad_signatures_are_rate_limited(
    client: Client, generic_channel: Channel, settings: Any
) -> None:
    settings.PALERMO_CHANNELS = {**settings.PALERMO_CHANNELS, "BAD_SIGNATURES_PER_MINUTE": 3}
    codes = [
        generic_post(client, generic_channel, _generic(f"g-{i}"), sign=False).status_code
        for i in range(5)
    ]
    assert codes == [403, 403, 403, 429, 429]
    # Even a good request from that address waits now.
    assert generic_post(client, generic_channel, _generic("g-ok")).status_code == 429
    _nothing_stored()


def test_accepted_requests_are_rate_limited_per_channel_and_address(
    client: Client, generic_channel: Channel, settings: Any
) -> None:
    settings.PALERMO_CHANNELS = {
        **settings.PALERMO_CHANNELS,
        "RATE_PER_SECOND": 0.001,
        "RATE_BURST": 2,
    }
    codes = [
        generic_post(client, generic_channel, _generic(f"r-{i}")).status_code for i in range(3)
    ]
    assert codes == [200, 200, 429]
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2


# --- threading and automatic replies --------------------------------------------------------


def test_messages_of_one_sender_thread_into_one_conversation(
    client: Client, generic_channel: Channel
) -> None:
    for index, sender in enumerate(["+37369000111", "069000111", "+373 69 000 111"]):
        response = generic_post(client, generic_channel, _generic(f"t-{index}", sender=sender))
        assert response.status_code == 200
    other = generic_post(client, generic_channel, _generic("t-other", sender="+37369000222"))
    assert other.status_code == 200
    assert Conversation.objects.count() == 2
    conversation = Conversation.objects.get(urn_index=urn_index("tel:+37369000111"))
    assert conversation.messages.filter(direction=Direction.INBOUND).count() == 3


def test_the_same_sender_on_another_channel_is_another_conversation(
    client: Client, generic_channel: Channel
) -> None:
    second = make_channel("generic", address="528")
    generic_post(client, generic_channel, _generic("c-1"))
    generic_post(client, second, _generic("c-1"))  # ids are per channel
    assert Conversation.objects.count() == 2
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2


def test_first_message_gets_one_automatic_reply_sent_through_the_provider(
    client: Client, generic_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("a-1", text="Vă rog, ajutor"))
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("a-2", text="încă ceva"))
        generic_post(client, generic_channel, _generic("a-1", text="Vă rog, ajutor"))  # retry
    replies = Message.objects.filter(direction=Direction.OUTBOUND)
    assert replies.count() == 1
    reply = replies.get()
    assert reply.status == MessageStatus.SENT
    assert reply.language == "ro"
    assert reply.idempotency_key.startswith("auto-reply:")
    assert reply.provider_message_id.startswith("rec-")
    assert [(sms.to, sms.body) for sms in RecordingProvider.outbox] == [
        ("+37369000111", reply.text)
    ]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Допоможіть, будь ласка, мені забрали паспорт", "uk"),
        ("Please help me, they took my passport", "en"),
        ("Por favor, necesito ayuda", "es"),
        ("?", "ro"),  # nothing to go on: the channel's language
    ],
)
def test_automatic_reply_is_in_the_senders_language(
    client: Client,
    generic_channel: Channel,
    text: str,
    language: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.utils import translation

    from palermo.channels.dispatch import auto_reply_text

    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("l-1", text=text))
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.language == language
    assert reply.text == auto_reply_text(language)
    conversation = reply.conversation
    assert conversation.language == language
    # Later messages are answered in the conversation's language whatever they say.
    with translation.override("en"):
        assert auto_reply_text(conversation.language) == auto_reply_text(language)


def test_conversation_silent_for_a_day_gets_a_new_automatic_reply(
    client: Client, generic_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    import datetime

    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("d-1"))
    replied_at = Conversation.objects.get().last_auto_reply_at
    assert replied_at is not None
    Conversation.objects.update(last_auto_reply_at=replied_at - datetime.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("d-2"))
        generic_post(client, generic_channel, _generic("d-3"))
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 2


def test_stored_message_is_handed_to_intake_after_commit(
    client: Client,
    generic_channel: Channel,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The intake filing task gets the message's id once the message has committed."""
    from . import intake_stub

    intake_stub.filed.clear()
    filed = intake_stub.filed
    monkeypatch.setattr(
        "palermo.channels.dispatch.FILE_INBOUND_MESSAGE",
        "palermo.channels.tests.intake_stub.file_inbound_message",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        generic_post(client, generic_channel, _generic("h-1"))
        assert filed == []  # not before the commit
    assert len(callbacks) == 1  # the dispatch, waiting for the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the commit: dispatch, which hands it to intake
            callback()
    assert filed == [Message.objects.get(direction=Direction.INBOUND).pk]
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("h-1"))  # a retry is not filed again
    assert len(filed) == 1


def test_missing_intake_task_is_skipped_without_failing(
    client: Client, generic_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handoff, "FILE_INBOUND_MESSAGE", "palermo.intake.tasks.no_such_task")
    monkeypatch.setattr(
        "palermo.channels.dispatch.FILE_INBOUND_MESSAGE", "palermo.intake.tasks.no_such_task"
    )
    assert handoff.enqueue_with_transaction("palermo.intake.tasks.no_such_task", 1) is False
    assert generic_post(client, generic_channel, _generic("m-1")).status_code == 200


# --- delivery reports -----------------------------------------------------------------------


def _sent_reply(client: Client, channel: Channel, capture: Any, message_id: str) -> Message:
    with capture(execute=True):
        if channel.type == "generic":
            generic_post(client, channel, _generic(message_id))
        elif channel.type == "twilio":
            twilio_post(client, channel, twilio_sms(message_id))
        else:
            at_post(client, channel, _at_sms(message_id))
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.status == MessageStatus.SENT
    return reply


def test_generic_delivery_reports_move_status_up_never_back(
    client: Client, generic_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    reply = _sent_reply(client, generic_channel, django_capture_on_commit_callbacks, "s-1")

    def report(status: str) -> str:
        response = generic_post(
            client,
            generic_channel,
            {"id": reply.provider_message_id, "status": status},
            kind="status",
        )
        assert response.status_code == 200, response.content
        return str(json.loads(response.content)["status"])

    assert report("delivered") == "updated"
    assert report("delivered") == "unchanged"  # idempotent
    assert report("sent") == "unchanged"  # never back
    assert report("failed") == "unchanged"  # final
    assert report("queued") == "ignored"
    reply.refresh_from_db()
    assert reply.status == MessageStatus.DELIVERED


def test_twilio_delivery_report_marks_failure_with_error_code(
    client: Client, twilio_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    reply = _sent_reply(client, twilio_channel, django_capture_on_commit_callbacks, "SMs1")
    params = {
        "MessageSid": reply.provider_message_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    assert twilio_post(client, twilio_channel, params, kind="status").status_code == 200
    reply.refresh_from_db()
    assert (reply.status, reply.error) == (MessageStatus.FAILED, "30003")
    # An unsigned report changes nothing.
    Message.objects.filter(pk=reply.pk).update(status=MessageStatus.SENT)
    forged = {"MessageSid": reply.provider_message_id, "MessageStatus": "delivered"}
    assert (
        twilio_post(client, twilio_channel, forged, kind="status", signature="x").status_code == 403
    )
    reply.refresh_from_db()
    assert reply.status == MessageStatus.SENT


def test_africastalking_delivery_report(
    client: Client, at_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    reply = _sent_reply(client, at_channel, django_capture_on_commit_callbacks, "ATs1")
    params = {"id": reply.provider_message_id, "status": "Success", "phoneNumber": "+254722000111"}
    assert at_post(client, at_channel, params, kind="status").status_code == 200
    reply.refresh_from_db()
    assert reply.status == MessageStatus.DELIVERED
    assert at_post(client, at_channel, params, kind="status", secret="no").status_code == 403


def test_delivery_report_for_an_unknown_message_changes_nothing(
    client: Client, generic_channel: Channel
) -> None:
    response = generic_post(
        client, generic_channel, {"id": "nope", "status": "delivered"}, kind="status"
    )
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "unchanged"
    response = generic_post(
        client, generic_channel, {"id": "nope", "status": "exploded"}, kind="status"
    )
    assert response.status_code == 400


def test_with_the_database_task_backend_the_messages_table_is_the_outbox(
    client: Client, generic_channel: Channel, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production: the request writes no task; the periodic job hands messages on."""
    from django_tasks_db.models import DBTaskResult

    from palermo.channels import dispatch, tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    stub = "palermo.channels.tests.intake_stub.file_inbound_message"
    monkeypatch.setattr(dispatch, "FILE_INBOUND_MESSAGE", stub)
    for index in range(3):
        generic_post(client, generic_channel, _generic(f"o-{index}", sender="+37369000333"))
    inbound = Message.objects.filter(direction=Direction.INBOUND)
    assert set(inbound.values_list("handed_off", flat=True)) == {False}
    assert not DBTaskResult.objects.exists()  # nothing enqueued by the requests themselves
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert tasks.hand_off_inbound.call() == 3
    dispatching = DBTaskResult.objects.filter(task_path=handoff.DISPATCH_INBOUND)
    assert sorted(dispatching.values_list("args_kwargs__args", flat=True)) == sorted(
        [[pk] for pk in inbound.values_list("pk", flat=True)]
    )
    assert set(inbound.values_list("handed_off", flat=True)) == {True}
    assert tasks.hand_off_inbound.call() == 0  # each message once
    # The worker runs the dispatches: one automatic reply, three filings.
    results = [
        tasks.dispatch_inbound.call(pk)
        for pk in inbound.order_by("pk").values_list("pk", flat=True)
    ]
    assert results == ["auto_replied", "filed", "filed"]
    assert DBTaskResult.objects.filter(task_path=stub).count() == 3
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
    # Dispatching again changes nothing.
    assert tasks.dispatch_inbound.call(inbound.first().pk) == "filed"
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_safe_travel_answers_its_travellers_and_intake_never_sees_them(
    client: Client,
    generic_channel: Channel,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from palermo.channels import dispatch

    from . import intake_stub

    seen: list[tuple[str, str]] = []

    def handler(*, from_number: str, body: str, channel: object = None) -> str | None:
        seen.append((from_number, body))
        return "Check-in received. Safe travels." if body.startswith("OK") else None

    monkeypatch.setattr(dispatch, "_safe_travel_handler", lambda: handler)
    monkeypatch.setattr(
        dispatch, "FILE_INBOUND_MESSAGE", "palermo.channels.tests.intake_stub.file_inbound_message"
    )
    intake_stub.filed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("st-1", text="OK 123456"))
    assert seen == [("+37369000111", "OK 123456")]
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert reply.text == "Check-in received. Safe travels."
    assert reply.idempotency_key.startswith("travel-reply:")
    assert intake_stub.filed == []  # a check-in (with its PIN) is not a hotline contact
    with django_capture_on_commit_callbacks(execute=True):
        generic_post(client, generic_channel, _generic("st-2", text="Ajutor"))
    assert len(intake_stub.filed) == 1  # anything else is
