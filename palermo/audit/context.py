"""The request id of the work in progress, so audit events can be tied to one request.

The id is always made here, never taken from the client: whoever sends a request must not
choose what the audit log says about it (a chosen id could pass a request off as another,
or spoil the correlation of events with server logs). An id sent by a proxy or client in
front of us is kept apart as the upstream id: sanitised, echoed in its own response header
and available for log correlation, never written into audit events.
"""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("palermo_request_id", default="")

# Letters, digits and a little punctuation; what request ids of common proxies look like.
_UPSTREAM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def current_request_id() -> str:
    return _request_id.get()


def begin_request() -> contextvars.Token[str]:
    """Start a request context under a new id generated on the server."""
    return _request_id.set(uuid.uuid4().hex)


def end_request(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def upstream_request_id(incoming: str | None) -> str:
    """An incoming request id worth keeping for correlation, or "" (dropped, not repaired)."""
    if not incoming:
        return ""
    return incoming if _UPSTREAM_ID.fullmatch(incoming) else ""
