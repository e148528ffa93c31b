"""The request id of the work in progress, so audit events can be tied to one request."""

from __future__ import annotations

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("palermo_request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def begin_request(incoming: str | None = None) -> contextvars.Token[str]:
    """Start a request context; an incoming id is kept only if it looks like one of ours."""
    request_id = incoming if incoming and len(incoming) <= 64 and incoming.isalnum() else ""
    return _request_id.set(request_id or uuid.uuid4().hex)


def end_request(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)
