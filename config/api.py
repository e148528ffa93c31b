"""The one NinjaAPI: every app's router mounted under /api/, one error envelope for all."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from palermo.accounts.api_auth import SessionActorAuth, TokenAuth
from palermo.errors import ApplicationError


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


class StrictJSONParser(Parser):
    """Request bodies are UTF-8 JSON objects: no NaN or Infinity, no stray bytes.

    Anything else fails here and ninja answers 400 (see `_http_error`).
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data


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
    parser=StrictJSONParser(),
)


def _envelope(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
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
        location = [str(part) for part in error.get("loc", [])[1:] if part != "payload"]
        name = ".".join(location) or "__all__"
        fields.setdefault(name, []).append(_describe_validation_error(error))
    return _envelope(request, 400, "invalid", _("Some fields need attention."), fields)


def _describe_validation_error(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long" and "max_length" in context:
        return _("Use at most %(max)d characters.") % {"max": int(context["max_length"])}
    if kind == "too_long" and "max_length" in context:
        return _("Give at most %(max)d items.") % {"max": int(context["max_length"])}
    if kind.startswith("string_too_long") or kind == "too_long":
        return _("This value is too long.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(min)s.") % {
            "min": context.get("ge", context.get("gt"))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(max)s.") % {
            "max": context.get("le", context.get("lt"))
        }
    if kind in ("enum", "literal_error"):
        return _("Choose one of the listed options.")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Enter a list.")
    if kind in ("extra_forbidden",):
        return _("This field is not accepted here.")
    if "json" in kind:
        return _("The request body is not valid JSON.")
    if kind in ("date_from_datetime_parsing", "date_parsing") or kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind.startswith(("int", "float", "decimal")) or kind == "finite_number":
        return _("Enter a number.")
    if kind.startswith("bool"):
        return _("Answer true or false.")
    if kind.startswith(("string", "str")):
        return _("Enter text.")
    return _("This value is not valid.")


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _envelope(request, 401, "unauthenticated", _("Sign in, or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _envelope(request, 404, "not_found", _("Not found."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _envelope(request, 413, "too_large", _("The request is too large."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises this when the body does not parse (see StrictJSONParser); in English only.
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _envelope(
            request, 400, "malformed", _("The request body is not a valid UTF-8 JSON object.")
        )
    if exc.status_code == 429:
        return _envelope(request, 429, "throttled", _("Too many requests. Try again later."))
    return _envelope(request, exc.status_code, "http_error", str(exc))


api.add_router("/people/", "palermo.people.api.router")
api.add_router("/consent/", "palermo.consent.api.router")
api.add_router("/intake/", "palermo.intake.api.router")
api.add_router("/channels/", "palermo.channels.api.router")
api.add_router("/screening/", "palermo.screening.api.router")
api.add_router("/travel/", "palermo.safetravel.api.router")
api.add_router("/cases/", "palermo.cases.api.router")
api.add_router("/casefile/", "palermo.casefile.api.router")
api.add_router("/referrals/", "palermo.referrals.api.router")
api.add_router("/directory/", "palermo.directory.api.router")
api.add_router("/partners/", "palermo.partners.api.router")
api.add_router("/notifications/", "palermo.notifications.api.router")
