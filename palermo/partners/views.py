"""The partners pages (administrators' registry, incoming referrals) and the inbox endpoint.

Thin: the work is in `services`, `selectors` and `outbound`.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.models import Organisation
from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.referrals.models import ReferralReason
from palermo.throttling import TokenBuckets, client_ip

from . import selectors, services
from .access import (
    incoming_for_actor,
    may_accept_incoming,
    may_manage_partners,
    may_see_incoming,
    partner_for_manager,
)
from .conf import MAX_PACKAGE_BYTES, partner_settings
from .models import IncomingState

# --- the inbox ---------------------------------------------------------------------------

_MESSAGES = {
    "accepted": "Package accepted.",
    "too_large": "The package is too large.",
    "not_configured": "This deployment cannot receive packages yet.",
    "throttled": "Too many refused packages from this address. Try again later.",
}


# Refused packages per client address (in memory, per process: a flood of junk must not reach
# the database, whose audit chain every refusal writes to).
refused_packages = TokenBuckets()


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> HttpResponse:
    """Packages from partner deployments. No session, no CSRF: the signature is the proof."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    remote = str(request.META.get("REMOTE_ADDR", ""))
    client = client_ip(request) or "unknown"
    per_minute = partner_settings().refusals_per_minute
    if not refused_packages.peek(client, rate=per_minute / 60, burst=per_minute):
        services.logger.warning("partner.package_throttled from=%s", client)
        result = services.InboxResult(429, "throttled")
    elif length > MAX_PACKAGE_BYTES:
        result = services.InboxResult(413, "too_large")
        services.logger.warning("partner.package_refused reason=too_large from=%s", remote)
    else:
        raw = request.read(MAX_PACKAGE_BYTES + 1)
        result = services.receive_package(raw, remote_addr=remote)
    if result.status == 202:
        body: dict[str, Any] = {"status": "accepted", "package_id": result.package_id}
    else:
        if result.code != "throttled":
            refused_packages.take(client, rate=per_minute / 60, burst=per_minute)
        message = _MESSAGES.get(result.code, "The package was refused.")
        body = {"error": {"code": result.code, "message": message, "fields": {}}}
    response = HttpResponse(json.dumps(body), status=result.status, content_type="application/json")
    if result.status == 429:
        response["Retry-After"] = "60"
    return response


# --- administrators ------------------------------------------------------------------------


def _manager(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.user is None or not may_manage_partners(actor):
        raise Http404
    return actor


def _manage_context(
    actor: Actor, values: dict[str, str], errors: dict[str, list[str]], error_message: str = ""
) -> dict[str, Any]:
    return {
        "own": selectors.deployment_key_info(),
        "rows": selectors.partner_rows(actor=actor),
        "packages": selectors.recent_packages(actor=actor),
        "organisations": Organisation.objects.filter(is_active=True).order_by("name"),
        "values": values,
        "errors": errors,
        "error_message": error_message,
        "insecure_http": partner_settings().insecure_allow_http,
    }


FORM_FIELDS = ("name", "url", "public_key", "country", "receiving_organisation")


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    return render(request, "partners/manage.html", _manage_context(actor, {}, {}))


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    values = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
    organisation = services.resolve_organisation(values["receiving_organisation"])
    try:
        if values["receiving_organisation"] and organisation is None:
            raise ApplicationError(
                _("Some fields need attention."),
                fields={"receiving_organisation": [_("Choose one of the listed options.")]},
            )
        partner = services.partner_add(
            actor=actor,
            name=values["name"],
            url=values["url"],
            public_key=values["public_key"],
            country=values["country"],
            receiving_organisation=organisation,
        )
    except ApplicationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        context = _manage_context(actor, values, errors, str(exc.message))
        return render(request, "partners/manage.html", context, status=400)
    messages.success(
        request,
        _(
            "%(name)s is registered. Read its fingerprint to its administrator on the phone: "
            "%(fingerprint)s"
        )
        % {"name": partner.name, "fingerprint": services.fingerprint_of(partner)},
    )
    return redirect("partners:manage")


def _partner(actor: Actor, public_id: str) -> Any:
    try:
        return partner_for_manager(actor, public_id)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_POST
def set_active(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    partner = _partner(actor, public_id)
    active = request.POST.get("active") == "1"
    services.partner_set_active(actor=actor, partner=partner, active=active)
    if active:
        messages.success(request, _("%(name)s is active again.") % {"name": partner.name})
    else:
        messages.success(
            request,
            _("%(name)s is deactivated: its packages are refused and nothing is sent to it.")
            % {"name": partner.name},
        )
    return redirect("partners:manage")


@login_required
@require_POST
def set_organisation(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _manager(request)
    partner = _partner(actor, public_id)
    value = request.POST.get("receiving_organisation", "").strip()
    organisation = services.resolve_organisation(value)
    if value and organisation is None:
        messages.error(request, _("Choose one of the listed organisations."))
        return redirect("partners:manage")
    services.partner_set_receiving_organisation(
        actor=actor, partner=partner, organisation=organisation
    )
    messages.success(request, _("The receiving organisation is saved."))
    return redirect("partners:manage")


# --- incoming referrals ----------------------------------------------------------------------


def _answerer(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not may_see_incoming(actor):
        raise Http404
    return actor


@login_required
@require_GET
def incoming_list(request: HttpRequest) -> HttpResponse:
    actor = _answerer(request)
    state = request.GET.get("state", "")
    if state not in IncomingState.values:
        state = ""
    rows = selectors.incoming_list(actor=actor, state=state)
    return render(
        request,
        "partners/incoming_list.html",
        {"rows": rows, "state": state, "states": IncomingState.choices},
    )


def _display(name: str, value: Any) -> str:
    from palermo.people.models import Gender

    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if name == "gender":
        return str(dict(Gender.choices).get(value, value))
    return str(value)


def _url_or_empty(name: str, public_id: Any) -> str:
    try:
        return reverse(name, args=[public_id])
    except NoReverseMatch:
        return ""


def _detail_context(actor: Actor, public_id: str) -> dict[str, Any]:
    try:
        view = selectors.incoming_detail(actor=actor, public_id=public_id)
    except NotFound as exc:
        raise Http404 from exc
    from palermo.people.models import Person

    labels = {
        f.name: str(f.verbose_name) for f in Person._meta.get_fields() if hasattr(f, "verbose_name")
    }
    groups = [FIELD_GROUP_LABELS[FieldGroup(g)] for g in view.incoming.shared_groups]
    incoming = view.incoming
    return {
        "view": view,
        "incoming": incoming,
        "case_url": _url_or_empty("cases:detail", incoming.case.public_id) if incoming.case else "",
        "person_url": _url_or_empty("people:detail", incoming.person.public_id)
        if incoming.person
        else "",
        "person_rows": [(labels.get(n, n), _display(n, v)) for n, v in view.person_rows()],
        "shared_labels": [str(g) for g in groups],
        # The payload's reason is an HTCDS code: shown by its label in the reader's language.
        "reason_label": dict(ReferralReason.choices).get(incoming.reason, incoming.reason),
        "may_accept": may_accept_incoming(actor),
        "errors": {},
        "failed": "",
        "values": {},
    }


@login_required
@require_GET
def incoming_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _answerer(request)
    return render(request, "partners/incoming_detail.html", _detail_context(actor, public_id))


@login_required
@require_POST
def incoming_answer(request: HttpRequest, public_id: str, answer: str) -> HttpResponse:
    actor = _answerer(request)
    if answer not in ("accept", "decline", "start", "done"):
        raise Http404
    try:
        incoming = incoming_for_actor(
            actor, public_id, "accept" if answer == "accept" else "answer"
        )
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        raise PermissionDenied from exc
    note = request.POST.get("note", "")
    try:
        if answer == "accept":
            services.incoming_accept(
                actor=actor,
                incoming=incoming,
                consent_confirmed=request.POST.get("consent_confirmed") == "1",
            )
        elif answer == "decline":
            services.incoming_decline(actor=actor, incoming=incoming, note=note)
        else:
            services.incoming_progress(actor=actor, incoming=incoming, answer=answer, note=note)
    except Forbidden as exc:
        raise PermissionDenied from exc
    except ApplicationError as exc:
        context = _detail_context(actor, public_id)
        context["errors"] = {k: [str(m) for m in v] for k, v in exc.fields.items()} or {
            "__all__": [str(exc.message)]
        }
        context["failed"] = answer
        context["values"] = {"note": note}
        return render(request, "partners/incoming_detail.html", context, status=exc.status)
    done = {
        "accept": _("Accepted: the person and a case are registered here, and the sender is told."),
        "decline": _("Declined: the sender is told why."),
        "start": _("The sender is told the service has started."),
        "done": _("The sender is told the service is done."),
    }
    messages.success(request, done[answer])
    return redirect("partners:incoming_detail", public_id=incoming.public_id)
