"""The home page and the error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def _error(request: HttpRequest, status: int, heading: str, explanation: str) -> HttpResponse:
    context = {
        "heading": heading,
        "explanation": explanation,
        "request_id": getattr(request, "request_id", ""),
    }
    body: str
    try:
        body = loader.render_to_string("web/error.html", context, request)
    except Exception:  # the error page must never fail itself
        body = f"<!doctype html><title>{status}</title><h1>{heading}</h1><p>{explanation}</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(
        request,
        400,
        _("Bad request"),
        _("The request could not be understood. Check what you sent and try again."),
    )


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(
        request,
        403,
        _("Not allowed"),
        _("You do not have permission to do this. If you think you should, ask your supervisor."),
    )


def page_not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _error(
        request,
        404,
        _("Page not found"),
        _("There is nothing here, or you do not have access to it."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Something went wrong"),
        _(
            "Anything you entered was saved only if Palermo confirmed it. "
            "Please try again in a moment."
        ),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("Your form expired"),
        _("For your safety, forms expire. Go back, reload the page and submit again."),
    )
