"""The one NinjaAPI: every app's router mounted under /api/, one error envelope for all."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from palermo.accounts.api_auth import SessionActorAuth, TokenAuth
from palermo.errors import ApplicationError

api = NinjaAPI(
    title="Palermo API",
    version="1",
    description="The coalition's API. Authenticate with the session of the pages (with the "
    "CSRF token) or with `Authorization: Bearer <token>`; every token acts for one "
    "organisation and one purpose. Errors always have the shape "
    '`{"error": {"code", "message", "fields"}}`.',
    auth=[TokenAuth(), SessionActorAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


def _envelope(
    request: HttpRequest, status: int, code: str, message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body = exc.as_dict()["error"]
    return _envelope(request, exc.status, body["code"], body["message"], body["fields"])


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", []) if part not in ("body", "payload")]
        name = ".".join(location) or "__all__"
        fields.setdefault(name, []).append(_describe_validation_error(error))
    return _envelope(request, 400, "invalid", _("Some fields need attention."), fields)


def _describe_validation_error(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return _("This field is required.")
    if kind.startswith("string_too_long"):
        return _("This value is too long.")
    if "json" in kind:
        return _("The request body is not valid JSON.")
    if kind in ("date_from_datetime_parsing", "date_parsing") or kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind.startswith(("int", "float", "decimal")):
        return _("Enter a number.")
    if kind.startswith("bool"):
        return _("Answer true or false.")
    if kind in ("extra_forbidden",):
        return _("This field is not accepted here.")
    if kind.startswith(("string", "str")):
        return _("Enter text.")
    return _("This value is not valid.")


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _envelope(request, 401, "unauthenticated",
                     _("Sign in, or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _envelope(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _envelope(request, exc.status_code, "http_error", str(exc))


api.add_router("/people/", "palermo.people.api.router")
