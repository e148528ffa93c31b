"""send_text and the providers: recorded, idempotent, delivered after commit, retried; the real
gateways' requests checked against a loopback HTTP server (never the real APIs)."""

from __future__ import annotations

import base64
import datetime
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from palermo.channels import outbound
from palermo.channels.models import Channel, Direction, Message, MessageStatus
from palermo.channels.outbound import send_text
from palermo.channels.providers import (
    AfricasTalkingProvider,
    GatewayProvider,
    GenericWebhookProvider,
    OutboundSms,
    ProviderError,
    RecordingProvider,
    TwilioProvider,
)
from palermo.channels.signatures import generic_valid
from palermo.errors import ApplicationError

from .conftest import GENERIC_SECRET, TWILIO_TOKEN, make_channel

pytestmark = pytest.mark.django_db


def test_send_text_records_then_delivers_after_commit(
    twilio_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = send_text(
            to="069 123 456", body="Check in, please", idempotency_key="trip:1", language="ro"
        )
        assert message.status == MessageStatus.QUEUED
        assert RecordingProvider.outbox == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.direction == Direction.OUTBOUND
    assert message.conversation.urn == "tel:+37369123456"
    assert message.channel == twilio_channel
    (sms,) = RecordingProvider.outbox
    assert (sms.to, sms.body, sms.reference) == (
        "+37369123456",
        "Check in, please",
        str(message.public_id),
    )
    assert sms.provider_message_id == message.provider_message_id


def test_send_text_is_idempotent_on_its_key(
    twilio_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = send_text(to="+37369123456", body="one", idempotency_key="k-1")
        again = send_text(to="+37369123456", body="one", idempotency_key="k-1")
    assert first.pk == again.pk
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
    assert len(RecordingProvider.outbox) == 1
    # A delivery that runs twice sends once.
    assert outbound.deliver(first.pk) == "skipped"
    assert len(RecordingProvider.outbox) == 1


def test_send_text_threads_into_the_senders_conversation(
    client: Any, generic_channel: Channel
) -> None:
    from .conftest import generic_post

    generic_post(client, generic_channel, {"id": "in-1", "from": "+37369000111", "text": "hi"})
    reply = send_text(
        to="+373 69 000 111", body="Operator here", channel=generic_channel, idempotency_key="op1"
    )
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert reply.conversation_id == inbound.conversation_id


def test_default_channel_prefers_the_numbers_country() -> None:
    make_channel("twilio", address="+37322123456", country="MD")
    kenya = make_channel("africastalking", address="+254711000111", country="KE")
    message = send_text(to="+254722000111", body="Habari", idempotency_key="ke-1")
    assert message.channel == kenya
    other = send_text(to="+33612345678", body="Bonjour", idempotency_key="fr-1")
    assert other.channel.country == "MD"  # none in France: the oldest active channel


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": "not a number", "body": "x", "idempotency_key": "a"}, "to"),
        ({"to": "+37369123456", "body": "  ", "idempotency_key": "a"}, "body"),
        ({"to": "+37369123456", "body": "x" * 1601, "idempotency_key": "a"}, "body"),
        ({"to": "+37369123456", "body": "x", "idempotency_key": ""}, "idempotency_key"),
        ({"to": "+37369123456", "body": "x", "idempotency_key": "k" * 129}, "idempotency_key"),
    ],
)
def test_send_text_refuses_bad_input_and_records_nothing(
    twilio_channel: Channel, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        send_text(**fields)
    assert field in caught.value.fields
    assert Message.objects.count() == 0


def test_send_text_without_an_active_channel_is_refused(db: None) -> None:
    with pytest.raises(ApplicationError) as caught:
        send_text(to="+37369123456", body="x", idempotency_key="n")
    assert caught.value.code == "no_channel"
    channel = make_channel("generic")
    channel.active = False
    channel.save()
    with pytest.raises(ApplicationError) as caught:
        send_text(to="+37369123456", body="x", idempotency_key="n", channel=channel)
    assert caught.value.code == "channel_inactive"


class FailingProvider:
    permanent = False

    def send(self, sms: OutboundSms) -> Any:
        raise ProviderError("gateway down", permanent=FailingProvider.permanent)


def test_transient_provider_failure_is_retried_then_given_up(
    twilio_channel: Channel, settings: Any
) -> None:
    settings.PALERMO_SMS_PROVIDER = "palermo.channels.tests.test_outbound.FailingProvider"
    message = send_text(to="+37369123456", body="x", idempotency_key="r-1")
    assert outbound.deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert (message.status, message.error, message.attempts) == ("queued", "gateway down", 1)
    # The periodic job finds it again after a minute.
    later = timezone.now() + datetime.timedelta(minutes=2)
    assert outbound.retry_stalled(now=later)["requeued"] == 1
    for _ in range(outbound.MAX_ATTEMPTS - 1):
        outbound.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == outbound.MAX_ATTEMPTS


def test_permanent_provider_failure_fails_at_once(twilio_channel: Channel, settings: Any) -> None:
    settings.PALERMO_SMS_PROVIDER = "palermo.channels.tests.test_outbound.FailingProvider"
    FailingProvider.permanent = True
    try:
        message = send_text(to="+37369123456", body="x", idempotency_key="p-1")
        assert outbound.deliver(message.pk) == "failed"
    finally:
        FailingProvider.permanent = False
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED


def test_interrupted_send_is_settled_as_failed_never_sent_twice(twilio_channel: Channel) -> None:
    message = send_text(to="+37369123456", body="x", idempotency_key="i-1")
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(status="sending", status_changed_at=long_ago)
    assert outbound.retry_stalled()["interrupted"] == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert outbound.deliver(message.pk) == "skipped"
    assert RecordingProvider.outbox == []


# --- the real gateways' requests, against a loopback server ---------------------------------


class _Gateway(BaseHTTPRequestHandler):
    answer: dict[str, Any] = {}
    status = 201
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        _Gateway.seen.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": self.rfile.read(length),
            }
        )
        payload = json.dumps(_Gateway.answer).encode()
        self.send_response(_Gateway.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.seen = []
    _Gateway.status = 201
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_twilio_provider_posts_to_the_messages_resource(
    gateway: str, twilio_channel: Channel, settings: Any
) -> None:
    settings.PALERMO_CHANNELS = {**settings.PALERMO_CHANNELS, "PUBLIC_URL": "https://p.example"}
    _Gateway.answer = {"sid": "SMabc", "status": "queued"}
    sms = OutboundSms(
        channel=twilio_channel,
        to="+37369123456",
        body="Привіт",
        reference="r1",
        status_callback_url=outbound.status_callback_url(twilio_channel),
    )
    result = TwilioProvider(base_url=gateway).send(sms)
    assert (result.provider_message_id, result.status) == ("SMabc", "sent")
    (request,) = _Gateway.seen
    assert request["path"] == f"/2010-04-01/Accounts/{twilio_channel.account}/Messages.json"
    credentials = base64.b64decode(request["headers"]["authorization"].split()[1]).decode()
    assert credentials == f"{twilio_channel.account}:{TWILIO_TOKEN}"
    form = parse_qs(request["body"].decode())
    assert form["To"] == ["+37369123456"] and form["Body"] == ["Привіт"]
    assert form["From"] == ["+37322123456"]
    assert form["StatusCallback"] == [
        f"https://p.example/c/twilio/{twilio_channel.public_id}/status"
    ]


def test_africastalking_provider_posts_with_the_api_key(gateway: str) -> None:
    channel = make_channel(
        "africastalking",
        address="+254711000111",
        country="KE",
        account="palermo",
        api_key="at-api-key",
    )
    _Gateway.answer = {
        "SMSMessageData": {"Recipients": [{"messageId": "ATXid_9", "status": "Success"}]}
    }
    result = AfricasTalkingProvider(base_url=gateway).send(
        OutboundSms(channel=channel, to="+254722000111", body="Habari", reference="r2")
    )
    assert result.provider_message_id == "ATXid_9"
    (request,) = _Gateway.seen
    assert request["path"] == "/version1/messaging"
    assert request["headers"]["apikey"] == "at-api-key"
    form = parse_qs(request["body"].decode())
    assert form["username"] == ["palermo"] and form["to"] == ["+254722000111"]


def test_generic_provider_posts_signed_json(gateway: str) -> None:
    channel = make_channel("generic", outbound_url=f"{gateway}/out")
    _Gateway.answer = {"id": "gw-77"}
    _Gateway.status = 200
    result = GatewayProvider().send(
        OutboundSms(channel=channel, to="+37369123456", body="Salut", reference="r3")
    )
    assert result.provider_message_id == "gw-77"
    (request,) = _Gateway.seen
    assert generic_valid(
        body=request["body"],
        header=request["headers"]["x-palermo-signature"],
        secret=GENERIC_SECRET,
    )
    assert json.loads(request["body"])["text"] == "Salut"


def test_gateway_errors_say_whether_retrying_can_help(gateway: str) -> None:
    channel = make_channel("generic", outbound_url=f"{gateway}/out")
    sms = OutboundSms(channel=channel, to="+37369123456", body="x", reference="r4")
    _Gateway.answer = {"error": "bad number"}
    _Gateway.status = 400
    with pytest.raises(ProviderError) as caught:
        GenericWebhookProvider().send(sms)
    assert caught.value.permanent
    _Gateway.status = 503
    with pytest.raises(ProviderError) as caught:
        GenericWebhookProvider().send(sms)
    assert not caught.value.permanent
    unreachable = make_channel("generic", outbound_url="http://127.0.0.1:9/out")
    with pytest.raises(ProviderError) as caught:
        GenericWebhookProvider().send(
            OutboundSms(channel=unreachable, to="+37369123456", body="x", reference="r5")
        )
    assert not caught.value.permanent
