"""Referral pages: received and sent, one referral with its answers, "refer this case", and the
printable document. Thin: services write, selectors read; every form is a plain POST that
works without JavaScript (htmx only swaps the lists' results in place).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup, Perm
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.people.field_groups import PERSON_FIELD_GROUPS
from palermo.people.forms import FIELD_LABELS

from . import rules, selectors, services
from .models import ReferralKind, ReferralReason, ReferralState

MAX_FILTER_LENGTH = 20
_SUCCESS = {  # lazy: translated in the language of the request that shows them
    "accept": gettext_lazy("You accepted the referral."),
    "decline": gettext_lazy("You declined the referral."),
    "start": gettext_lazy("The service is marked as started."),
    "done": gettext_lazy("The service is marked as done."),
    "revoke": gettext_lazy("The referral is revoked."),
}


def _actor(request: HttpRequest) -> Actor:
    """The acting member; a role that may not see cases gets 404, as if the pages did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def _state_choices() -> list[tuple[str, Any]]:
    return [("", _("All")), ("live", _("Live")), *ReferralState.choices]


def _listing(request: HttpRequest, box: str) -> HttpResponse:
    actor = _actor(request)
    state = (request.GET.get("state") or "")[:MAX_FILTER_LENGTH]
    if state and state != "live" and state not in ReferralState.values:
        state = ""
    page_number = request.GET.get("page", 1)
    try:
        if box == "received":
            page = selectors.received(actor, state=state, page_number=page_number)
        else:
            page = selectors.sent(actor, state=state, page_number=page_number)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    context = {
        "box": box,
        "list_url": reverse(f"referrals:{box}"),
        "page": page,
        "state": state,
        "state_choices": _state_choices(),
        "today": timezone.localdate(),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "referrals/referral_list.html" + ("#results" if partial else "")
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def received_list(request: HttpRequest) -> HttpResponse:
    """Referrals to my organisation: those waiting for our answer first, by deadline."""
    return _listing(request, "received")


@login_required
def sent_list(request: HttpRequest) -> HttpResponse:
    """Referrals my organisation sent."""
    return _listing(request, "sent")


def _render_detail(
    request: HttpRequest,
    actor: Actor,
    public_id: str,
    *,
    failed_action: str = "",
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        view = selectors.referral_detail(actor, public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "view": view,
            "referral": view.referral,
            "failed_action": failed_action,
            "errors": errors or {},
            "values": values or {},
            "person_groups": _person_rows(view.person) if view.person else [],
            "events": _event_rows(view),
            "case_url": _case_url(view.referral.case.public_id) if view.case_visible else "",
            "today": timezone.localdate(),
        },
        status=status,
    )


def _case_url(public_id: Any) -> str:
    """The case page, if the cases app has it (it is built alongside)."""
    try:
        return reverse("cases:detail", args=[str(public_id)])
    except NoReverseMatch:
        return ""


def _state_label(state: str) -> str:
    return str(ReferralState(state).label) if state in ReferralState.values else state


def _event_rows(view: selectors.ReferralView) -> list[dict[str, Any]]:
    rows = []
    for event in view.events:
        if event.actor_label:
            who = event.actor_label
        elif event.actor_organisation is not None:
            who = event.actor_organisation.name
            if event.actor_user is not None:
                name = event.actor_user.get_full_name() or event.actor_user.username
                who = f"{who} ({name})"
        else:
            who = ""
        rows.append(
            {
                "at": event.at,
                "to_state": event.to_state,
                "from_label": _state_label(event.from_state) if event.from_state else "",
                "to_label": _state_label(event.to_state),
                "who": who,
                "basis": event.get_consent_basis_display() if event.consent_basis else "",
                "note": event.note if view.show_details else "",
            }
        )
    return rows


def _person_rows(person: Any) -> list[dict[str, Any]]:
    groups = []
    for group, names in PERSON_FIELD_GROUPS.items():
        if not person.can_see(str(group)):
            continue
        rows = []
        for name in names:
            value = person.get(name)
            text = value.isoformat() if hasattr(value, "isoformat") else value
            rows.append({"label": FIELD_LABELS[name], "value": "" if text is None else str(text)})
        groups.append({"legend": FIELD_GROUP_LABELS[FieldGroup(group)], "rows": rows})
    return groups


@login_required
def referral_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _render_detail(request, _actor(request), public_id)


@login_required
@require_POST
def referral_act(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """One answer or report: accept, decline, start, done, revoke."""
    actor = _actor(request)
    if action not in {str(a) for a in rules.Action}:
        raise Http404
    data = {"note": request.POST.get("note", ""), "case_worker": request.POST.get("case_worker")}
    try:
        services.referral_transition(actor=actor, public_id=public_id, action=action, data=data)
    except ApplicationError as exc:
        if exc.status not in (400, 409):
            raise _page_error(exc) from exc
        return _render_detail(
            request,
            actor,
            public_id,
            failed_action=action,
            errors=_errors(exc),
            values={k: str(v or "") for k, v in data.items()},
            status=exc.status,
        )
    messages.success(request, _SUCCESS[action])
    return redirect("referrals:detail", public_id=public_id)


_SEND_FIELDS = (
    "kind",
    "service",
    "reason",
    "details",
    "respond_by",
    "override_reason",
)
_RECEIVER_TYPES = {
    "organisation": "receiving_organisation",
    "partner": "partner",
    "external": "external_organisation_name",
}


def _submitted(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The service's input, and the form's values to show again."""
    post = request.POST
    values: dict[str, Any] = {name: post.get(name, "") for name in _SEND_FIELDS}
    values["receiver_type"] = post.get("receiver_type", "organisation")
    for name in _RECEIVER_TYPES.values():
        values[name] = post.get(name, "")
    values["shared_groups"] = post.getlist("shared_groups")
    data = {name: values[name] for name in _SEND_FIELDS}
    data["shared_groups"] = values["shared_groups"]
    chosen = _RECEIVER_TYPES.get(values["receiver_type"])
    if chosen is None:
        data["receiving_organisation"] = ""
    else:
        data[chosen] = values[chosen]
    return data, values


@login_required
@require_http_methods(["GET", "POST"])
def refer_case(request: HttpRequest, case_id: str) -> HttpResponse:
    """The "refer this case" form (?service=<public id> pre-selects a directory service)."""
    actor = _actor(request)
    try:
        case = selectors.case_for_referring(actor, case_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    service = selectors.service_for_form(request.POST.get("service") or request.GET.get("service"))
    form = selectors.send_form(actor, case, service.service_type if service else None)
    provider_org = service.provider.organisation if service else None
    values: dict[str, Any] = {
        "kind": ReferralKind.REFERRAL,
        "receiver_type": "external" if service and provider_org is None else "organisation",
        "receiving_organisation": str(provider_org.public_id) if provider_org else "",
        "external_organisation_name": service.provider.name if service and not provider_org else "",
        "service": str(service.public_id) if service else "",
        "reason": ReferralReason.ADDITIONAL_SERVICES,
        "shared_groups": sorted(form.defaults),
        "respond_by": services.default_respond_by(case).isoformat(),
    }
    errors: dict[str, list[str]] = {}
    error_message = ""
    status = 200
    if request.method == "POST":
        data, values = _submitted(request)
        try:
            referral = services.referral_send(actor=actor, case_public_id=case.public_id, data=data)
        except ApplicationError as exc:
            if exc.status not in (400, 409):
                raise _page_error(exc) from exc
            errors, error_message, status = _errors(exc), str(exc.message), exc.status
        else:
            messages.success(
                request, _("Referral %(reference)s sent.") % {"reference": referral.reference}
            )
            return redirect("referrals:detail", public_id=referral.public_id)
    groups = [
        {
            "value": str(g),
            "label": FIELD_GROUP_LABELS[g],
            "shareable": str(g) in form.shareable,
            "checked": str(g) in values.get("shared_groups", []),
        }
        for g in FieldGroup
    ]
    context = {
        "case": case,
        "form": form,
        "service": service,
        "values": values,
        "errors": errors,
        "error_message": error_message,
        "groups": groups,
        "organisations": selectors.organisations_to_refer_to(actor),
        "partners": selectors.partners_to_refer_to(),
        "reasons": ReferralReason.choices,
        "kinds": ReferralKind.choices,
    }
    return render(request, "referrals/refer_form.html", context, status=status)


@login_required
def referral_document(request: HttpRequest, public_id: str) -> HttpResponse:
    """The printable referral for an organisation outside Palermo."""
    actor = _actor(request)
    try:
        document = selectors.referral_document(actor, public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return render(
        request,
        "referrals/referral_document.html",
        {
            "document": document,
            "referral": document.referral,
            "person_groups": _person_rows(document.person),
        },
    )
