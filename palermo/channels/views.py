"""The gateways' webhooks and the administrators' channel pages. Thin: the work is elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import rate_limits, selectors, services
from .access import channel_for_actor, may_manage_channels
from .conf import channel_settings
from .ingestion import error_response, handle
from .models import ChannelType
from .providers import provider_is_recording
from .webhooks import BodyTooLarge, read_webhook

logger = logging.getLogger(__name__)


def _as_response(status: int, content_type: str, body: bytes) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=content_type)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, channel_type: str, channel_id: str, kind: str) -> HttpResponse:
    """A gateway's inbound SMS (``receive``) or delivery report (``status``)."""
    conf = channel_settings()
    client = str(request.META.get("REMOTE_ADDR", ""))
    per_minute = conf.bad_signatures_per_minute
    if not rate_limits.refused.peek(client, rate=per_minute / 60, burst=per_minute) or (
        not rate_limits.accepted.take(
            f"{channel_id}|{client}", rate=conf.rate_per_second, burst=conf.rate_burst
        )
    ):
        answer = error_response(429, "throttled", _("Too many requests. Try again later."))
        response = _as_response(answer.status, answer.content_type, answer.body)
        response["Retry-After"] = "1"
        return response
    try:
        captured = read_webhook(
            request, channel_type=channel_type, channel_id=channel_id, kind=kind
        )
    except BodyTooLarge:
        answer = error_response(
            400,
            "too_large",
            _("The body is larger than %(limit)d bytes.") % {"limit": conf.max_body_bytes},
        )
        return _as_response(answer.status, answer.content_type, answer.body)
    outcome = handle(captured)
    status = outcome.response.status
    if status in (403, 404):
        rate_limits.refused.take(client, rate=per_minute / 60, burst=per_minute)
    # Logged without the URL's query (an Africa's Talking secret) or the body (a message).
    log = logger.warning if status >= 400 else logger.debug
    log(
        "webhook %s %s %s from %s: %s %s",
        channel_type,
        channel_id,
        kind,
        client,
        status,
        outcome.result,
    )
    return _as_response(status, outcome.response.content_type, outcome.response.body)


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    """The benchmark's baseline: the same server and middleware, no work. Off unless
    PALERMO_BENCH_BARE_ENDPOINT is set."""
    if not channel_settings().bench_bare_endpoint:
        raise Http404
    request.read(channel_settings().max_body_bytes + 1)
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


def _manager(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not may_manage_channels(actor) or actor.user is None:
        raise Http404
    return actor


FORM_FIELDS = (
    "type",
    "address",
    "country",
    "secret",
    "language",
    "label",
    "account",
    "api_key",
    "outbound_url",
)


def _list_context(
    request: HttpRequest,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    error_message: str = "",
) -> dict[str, Any]:
    from django.conf import settings

    base = request.build_absolute_uri("/").rstrip("/")
    return {
        "rows": selectors.channel_rows(actor=actor, base=channel_settings().public_url or base),
        "values": values,
        "errors": errors,
        "error_message": error_message,
        "types": ChannelType.choices,
        "languages": settings.LANGUAGES,
        "recording": provider_is_recording(),
    }


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    values = {"type": ChannelType.TWILIO, "language": "en"}
    return render(request, "channels/channel_list.html", _list_context(request, actor, values, {}))


@login_required
@require_http_methods(["POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    try:
        channel = services.channel_create(actor=actor, data=values)
    except ApplicationError as exc:
        if exc.status != 400:
            raise Http404 from exc
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        values["secret"] = values["api_key"] = ""  # never echoed back into the page
        context = _list_context(request, actor, values, errors, str(exc.message))
        return render(request, "channels/channel_list.html", context, status=400)
    base = channel_settings().public_url or request.build_absolute_uri("/").rstrip("/")
    receive, status = selectors.webhook_urls(channel, base=base)
    # Shown on this page once, not through a redirect: the secret must not travel in a cookie.
    generated = not request.POST.get("secret", "").strip()
    context = {
        "channel": channel,
        "number": services.display_number(channel.address),
        "receive_url": receive,
        "status_url": status,
        "url_secret": channel.type == ChannelType.AFRICASTALKING,
        "show_secret": generated and channel.type != ChannelType.TWILIO,
        "secret": str(channel.secret),
    }
    response = render(request, "channels/channel_created.html", context, status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def channel_deactivate(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        channel = channel_for_actor(actor, public_id)
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        raise PermissionDenied from exc
    services.channel_deactivate(actor=actor, channel=channel)
    messages.success(request, _("Channel deactivated: its webhooks are refused from now on."))
    return redirect("channels:admin_list")
