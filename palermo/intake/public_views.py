"""The public tip form and its follow-up: no account, no JavaScript needed, nothing revealed.

The answer to a tip is the same page whatever the records hold; the reference and secret are
shown once, in the response to the submission itself (never stored in a session or cookie,
never cached).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from palermo.errors import ApplicationError

from . import tips
from .attachments import MAX_FILE_BYTES, MAX_FILES

HONEYPOT = "website"


def client_address(request: HttpRequest) -> str:
    """The address the rate limits count: REMOTE_ADDR (the proxy in front sets it right)."""
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def _private(response: HttpResponse) -> HttpResponse:
    # (The site's Referrer-Policy, same-origin, stays: with no-referrer browsers send
    # "Origin: null" on the form's POST, which the CSRF check rightly refuses.)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _form_context(
    values: dict[str, Any], errors: dict[str, list[str]], message: str
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "error_message": message,
        "max_files": MAX_FILES,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "languages": settings.LANGUAGES,
        "current_language": get_language(),
    }


@require_http_methods(["GET", "POST"])
def tip_form(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("c") if request.method == "POST" else request.GET.get("c")) or ""
    values: dict[str, Any] = {"c": code[: tips.MAX_CODE_LENGTH], "language": get_language()}
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    if request.method == "GET" and not tips.tip_form_open():
        return _private(render(request, "intake/tip_closed.html", status=503))
    if request.method == "POST":
        values.update({name: request.POST.get(name, "") for name in tips.TIP_FIELDS})
        if request.POST.get(HONEYPOT):
            # A bot filled the field people cannot see: it gets a receipt that opens nothing.
            reference, secret, _hash = tips.new_receipt()
            receipt = tips.Receipt(tips.shown_reference(reference), tips.shown_secret(secret))
            return _private(render(request, "intake/tip_received.html", {"receipt": receipt}))
        try:
            receipt = tips.tip_submit(
                data=values,
                files=request.FILES.getlist("files"),
                address=client_address(request),
                code=code,
            )
        except ApplicationError as exc:
            if exc.status == 503:
                return _private(render(request, "intake/tip_closed.html", status=503))
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
            message = str(exc.message)
            status = exc.status
        else:
            return _private(render(request, "intake/tip_received.html", {"receipt": receipt}))
    response = render(
        request, "intake/tip_form.html", _form_context(values, errors, message), status=status
    )
    return _private(response)


@require_http_methods(["GET", "POST"])
def tip_follow_up(request: HttpRequest) -> HttpResponse:
    values = {"reference": "", "text": ""}
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    if request.method == "POST":
        values = {
            "reference": request.POST.get("reference", "")[:40],
            "text": request.POST.get("text", ""),
        }
        if request.POST.get(HONEYPOT):
            return _private(render(request, "intake/tip_follow_up_done.html"))
        try:
            tips.tip_follow_up(
                reference=request.POST.get("reference"),
                secret=request.POST.get("secret"),
                text=request.POST.get("text"),
                files=request.FILES.getlist("files"),
                address=client_address(request),
            )
        except ApplicationError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
            message = str(exc.message)
            status = exc.status
        else:
            return _private(render(request, "intake/tip_follow_up_done.html"))
    context = {**_form_context(values, errors, message)}
    return _private(render(request, "intake/tip_follow_up.html", context, status=status))
