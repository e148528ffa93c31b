"""The campaigns page: supervisors and administrators keep the numbers, poster codes and the
public tip form their organisation's contacts come through (attribution and statistics).

Thin: services validate and audit. A refused form is shown again with the message next to
each field (400); nothing is changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.errors import ApplicationError, NotFound, invalid

from . import selectors, services
from .access import campaign_for_actor, may_manage_campaigns
from .models import Campaign
from .validation import CAMPAIGN_FIELDS, MAX_CAMPAIGN_CODES, MAX_CAMPAIGN_NUMBERS, MAX_LENGTHS


def _manager(request: HttpRequest) -> Actor:
    """Only campaign managers; for anyone else the page does not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not may_manage_campaigns(actor):
        raise Http404
    return actor


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def _submitted(request: HttpRequest) -> dict[str, Any]:
    """The form's fields as the service takes them (an unticked box is absent: False)."""
    data: dict[str, Any] = {
        name: request.POST.get(name, "") for name in CAMPAIGN_FIELDS if name != "receives_web_tips"
    }
    data["receives_web_tips"] = request.POST.get("receives_web_tips", "") == "on"
    return data


def _form_values(campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {"receives_web_tips": False}
    return {
        "name": campaign.name,
        "description": campaign.description,
        "numbers": "\n".join(map(str, campaign.numbers)),
        "codes": "\n".join(map(str, campaign.codes)),
        "posters": campaign.posters,
        "receives_web_tips": campaign.receives_web_tips,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else "",
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else "",
    }


def _context(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "max_lengths": MAX_LENGTHS,
        "max_numbers": MAX_CAMPAIGN_NUMBERS,
        "max_codes": MAX_CAMPAIGN_CODES,
    }


def _list_page(
    request: HttpRequest,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
    refused: str = "",
) -> HttpResponse:
    context = {
        "campaigns": selectors.campaign_rows(actor=actor),
        "refused": refused,
        **_context(values, errors),
    }
    response = render(request, "intake/campaign_list.html", context, status=status)
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    return _list_page(request, actor, _form_values(None), {})


@login_required
@require_POST
def campaign_new(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    data = _submitted(request)
    try:
        campaign = services.campaign_create(actor=actor, data=data)
    except ApplicationError as exc:
        if exc.status != 400:
            raise Http404 from exc
        return _list_page(request, actor, data, _field_errors(exc), status=400)
    messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
    return redirect("intake:campaigns")


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    try:
        campaign = campaign_for_actor(actor, public_id)
    except NotFound as exc:
        raise Http404 from exc
    values = _form_values(campaign)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _submitted(request)
        try:
            services.campaign_update(actor=actor, campaign=campaign, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise Http404 from exc
            errors = _field_errors(exc)
            campaign.refresh_from_db()  # the page shows what is stored, not the refused values
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("intake:campaigns")
    context = {"campaign": campaign, **_context(values, errors)}
    response = render(request, "intake/campaign_form.html", context, status=400 if errors else 200)
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_POST
def campaign_active(request: HttpRequest, public_id: str) -> HttpResponse:
    """Deactivate (active=0) or activate again (active=1)."""
    actor = _manager(request)
    try:
        campaign = campaign_for_actor(actor, public_id)
    except NotFound as exc:
        raise Http404 from exc
    wanted = request.POST.get("active")
    try:
        if wanted not in ("0", "1"):
            raise invalid({"active": [_("Choose one of the listed options.")]})
        services.campaign_set_active(actor=actor, campaign=campaign, active=wanted == "1")
    except ApplicationError as exc:
        if exc.status != 400:
            raise Http404 from exc
        refused = " ".join(
            [
                _("“%(name)s” was not changed.") % {"name": campaign.name},
                *(str(m) for ms in exc.fields.values() for m in ms),
            ]
        )
        return _list_page(request, actor, _form_values(None), {}, status=400, refused=refused)
    if campaign.active:
        messages.success(
            request, _("Campaign “%(name)s” is active again.") % {"name": campaign.name}
        )
    else:
        messages.success(
            request,
            _("Campaign “%(name)s” deactivated: new contacts are no longer attributed to it.")
            % {"name": campaign.name},
        )
    return redirect("intake:campaigns")
