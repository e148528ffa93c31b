"""A gateway's webhook request as data: what ingestion needs, what the spool keeps.

Ingestion works on a ``WebhookRequest`` rather than on Django's request, so that a request
spooled to disk during a database outage is replayed through exactly the same code: the raw
body, the public URL and the signature headers are all that re-verifying it takes.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from .conf import channel_settings
from .signatures import GENERIC_SIGNATURE_HEADER, TWILIO_SIGNATURE_HEADER

RECEIVE = "receive"
STATUS = "status"
KINDS = (RECEIVE, STATUS)
# Only these headers are kept (and spooled): what re-verifying and parsing need, no more.
KEPT_HEADERS = ("Content-Type", TWILIO_SIGNATURE_HEADER, GENERIC_SIGNATURE_HEADER)


_KEPT_META = tuple(
    (name, "CONTENT_TYPE" if name == "Content-Type" else "HTTP_" + name.upper().replace("-", "_"))
    for name in KEPT_HEADERS
)


class BodyTooLarge(Exception):
    """The request body is over the limit."""


@dataclass(frozen=True)
class WebhookRequest:
    channel_type: str
    channel_id: str
    kind: str
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    remote_addr: str = ""
    received_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(tz=datetime.UTC)
    )

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";", 1)[0].strip().lower()

    def as_json(self) -> dict[str, Any]:
        return {
            "v": 1,
            "channel_type": self.channel_type,
            "channel_id": self.channel_id,
            "kind": self.kind,
            "url": self.url,
            "body": base64.b64encode(self.body).decode("ascii"),
            "headers": self.headers,
            "remote_addr": self.remote_addr,
            "received_at": self.received_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WebhookRequest:
        if data.get("v") != 1:
            raise ValueError(f"Unknown spool format {data.get('v')!r}")
        return cls(
            channel_type=str(data["channel_type"]),
            channel_id=str(data["channel_id"]),
            kind=str(data["kind"]),
            url=str(data["url"]),
            body=base64.b64decode(data["body"]),
            headers={str(k): str(v) for k, v in dict(data["headers"]).items()},
            remote_addr=str(data.get("remote_addr", "")),
            received_at=datetime.datetime.fromisoformat(data["received_at"]),
        )

    def dumps(self) -> str:
        return json.dumps(self.as_json(), separators=(",", ":"))


def public_url(request: HttpRequest) -> str:
    """The URL the gateway called: PUBLIC_URL + path when Palermo is behind a proxy."""
    base = channel_settings().public_url
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


def read_webhook(
    request: HttpRequest, *, channel_type: str, channel_id: str, kind: str
) -> WebhookRequest:
    """Capture a webhook request; BodyTooLarge when the body is over the limit."""
    limit = channel_settings().max_body_bytes
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge
    meta = request.META  # not request.headers: that would copy every header for three
    headers = {name: meta[key] for name, key in _KEPT_META if key in meta}
    return WebhookRequest(
        channel_type=channel_type,
        channel_id=channel_id,
        kind=kind,
        url=public_url(request),
        body=body,
        headers=headers,
        remote_addr=str(request.META.get("REMOTE_ADDR", "")),
    )
