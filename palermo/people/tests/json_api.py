"""Calling the JSON API the way a client does: raw bodies, JSON content type."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.test import Client


def _body(data: Any) -> bytes:
    return data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")


def post_json(client: Client, url: str, data: Any, **headers: Any) -> HttpResponse:
    return client.post(url, _body(data), content_type="application/json", **headers)


def patch_json(client: Client, url: str, data: Any, **headers: Any) -> HttpResponse:
    return client.patch(url, _body(data), content_type="application/json", **headers)


def error_of(response: HttpResponse) -> dict[str, Any]:
    """The error envelope's body, checking its shape on the way."""
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"], error
    return error
