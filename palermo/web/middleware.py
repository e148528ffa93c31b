"""A request id for every request: returned in a header and written into audit events.

The id is made on the server. An X-Request-ID sent with the request is kept only as the
upstream id (sanitised, answered in X-Upstream-Request-ID) for correlating with the logs of
a proxy in front; it never reaches the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from palermo.audit.context import (
    begin_request,
    current_request_id,
    end_request,
    upstream_request_id,
)
from palermo.audit.services import reads_written_together


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user may hold personal data: no browser or proxy keeps them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = begin_request()
        upstream = upstream_request_id(request.headers.get("X-Request-ID"))
        try:
            request.request_id = current_request_id()  # type: ignore[attr-defined]
            request.upstream_request_id = upstream  # type: ignore[attr-defined]
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
            if upstream:
                response["X-Upstream-Request-ID"] = upstream
            return response
        finally:
            end_request(token)


class AuditReadsTogetherMiddleware:
    """The read events of a page are written together, before the page is answered.

    Only for requests that read (GET, HEAD): a write's events stay in its own transaction.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with reads_written_together():
            return self.get_response(request)
