"""Situation pages: the list (open first), one situation with its contacts and persons, and
the forms that open, change, close and reopen situations and link or unlink what they group.

Thin: services and selectors do the work. Every form works without JavaScript: a refused one
re-renders its page with the translated message next to the field (400); with JavaScript,
htmx swaps the list when its filter changes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import selectors, services
from .models import SITUATION_STATUS_CHOICES, PersonRole
from .statuses import situation_moves_from
from .validation import MAX_LENGTHS


def _actor(request: HttpRequest) -> Actor:
    """The acting user; without the permission to view contacts the pages do not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.CONTACT_VIEW):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


# --- the list ----------------------------------------------------------------------------------


def _list_page(
    request: HttpRequest,
    actor: Actor,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in selectors.SITUATION_FILTERS:
        show = "open"
    page = selectors.situation_list(actor=actor, show=show, page_number=request.GET.get("page", 1))
    can_change = actor.can(Perm.CONTACT_CREATE)
    context = {
        "page": page,
        "show": show,
        "filters": [("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))],
        "can_change": can_change,
        "candidates": selectors.contacts_without_situation(actor=actor) if can_change else [],
        "errors": errors or {},
        "values": values or {},
        "max_lengths": MAX_LENGTHS,
        "status_labels": dict(SITUATION_STATUS_CHOICES),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request and htmx.target == "situations"
    template = "intake/situation_list.html#situations" if partial else "intake/situation_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_GET
def situation_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _actor(request))


@login_required
@require_POST
def situation_new(request: HttpRequest) -> HttpResponse:
    """Open a situation from a contact (chosen in the list, or typed as its reference)."""
    actor = _actor(request)
    values = {
        "contact": request.POST.get("contact", "").strip(),
        "summary": request.POST.get("summary", ""),
    }
    try:
        if not values["contact"]:
            raise NotFound()
        contact = selectors.contact_by_reference(
            actor=actor, text=values["contact"], action="change"
        )
    except NotFound:
        errors = {"contact": [_("Choose a contact of your organisation, or type its reference.")]}
        return _list_page(request, actor, errors=errors, values=values, status=400)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    try:
        situation = services.situation_create(
            actor=actor, contact=contact, summary=values["summary"]
        )
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return _list_page(request, actor, errors=_field_errors(exc), values=values, status=400)
    messages.success(
        request,
        _("Situation %(reference)s opened from %(contact)s.")
        % {"reference": situation.reference, "contact": contact.reference},
    )
    return redirect("intake:situation_detail", public_id=situation.public_id)


# --- one situation ---------------------------------------------------------------------------


def _detail_page(
    request: HttpRequest,
    actor: Actor,
    public_id: str,
    *,
    form: str = "",
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        view = selectors.situation_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    can_change = actor.can(Perm.CONTACT_CREATE)
    in_situation = {c.pk for c in view.contacts}
    candidates = (
        [c for c in selectors.contacts_without_situation(actor=actor) if c.pk not in in_situation]
        if can_change
        else []
    )
    context = {
        "view": view,
        "situation": view.situation,
        "moves": situation_moves_from(view.situation.status),
        "can_change": can_change,
        "can_link_persons": can_change and actor.can(Perm.PERSON_VIEW),
        "can_open_persons": actor.can(Perm.PERSON_VIEW),
        "candidates": candidates,
        "person_roles": PersonRole.choices,
        "form": form,
        "errors": errors or {},
        "values": values or {},
        "max_lengths": MAX_LENGTHS,
    }
    response = render(request, "intake/situation_detail.html", context, status=status)
    patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
@require_GET
def situation_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _detail_page(request, _actor(request), public_id)


def _changeable(request: HttpRequest, public_id: str) -> tuple[Actor, Any]:
    actor = _actor(request)
    try:
        situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return actor, situation


def _refused(
    request: HttpRequest,
    actor: Actor,
    public_id: str,
    form: str,
    exc: ApplicationError,
    values: dict[str, Any],
) -> HttpResponse:
    """A refused form: its page again, the message by the field (400), nothing changed."""
    if exc.status in (403, 404):
        raise _page_error(exc) from exc
    return _detail_page(
        request,
        actor,
        public_id,
        form=form,
        errors=_field_errors(exc),
        values=values,
        status=400 if exc.status == 400 else exc.status,
    )


def _back(situation: Any) -> HttpResponse:
    return redirect("intake:situation_detail", public_id=situation.public_id)


@login_required
@require_POST
def situation_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    values = {"summary": request.POST.get("summary", "")}
    try:
        services.situation_update(actor=actor, situation=situation, summary=values["summary"])
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "summary", exc, values)
    messages.success(request, _("Summary saved."))
    return _back(situation)


@login_required
@require_POST
def situation_status(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    values = {"status": request.POST.get("status", "")}
    try:
        services.situation_set_status(actor=actor, situation=situation, status=values["status"])
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "status", exc, values)
    messages.success(
        request,
        _("Situation closed.") if situation.status == "closed" else _("Situation reopened."),
    )
    return _back(situation)


@login_required
@require_POST
def situation_add_contact(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    values = {"contact": request.POST.get("contact", "").strip()}
    try:
        if not values["contact"]:
            raise NotFound()
        contact = selectors.contact_by_reference(
            actor=actor, text=values["contact"], action="change"
        )
    except NotFound:
        errors = {"contact": [_("Choose a contact of your organisation, or type its reference.")]}
        return _detail_page(
            request, actor, public_id, form="contact", errors=errors, values=values, status=400
        )
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    try:
        services.situation_add_contact(actor=actor, situation=situation, contact=contact)
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "contact", exc, values)
    messages.success(request, _("%(contact)s added.") % {"contact": contact.reference})
    return _back(situation)


@login_required
@require_POST
def situation_remove_contact(request: HttpRequest, public_id: str, contact_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    try:
        contact = selectors.contact_by_reference(actor=actor, text=contact_id, action="change")
        services.situation_remove_contact(actor=actor, situation=situation, contact=contact)
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "contact", exc, {})
    messages.success(request, _("%(contact)s taken out.") % {"contact": contact.reference})
    return _back(situation)


@login_required
@require_POST
def situation_link_person(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    if not actor.can(Perm.PERSON_VIEW):
        raise Http404
    values = {"person": request.POST.get("person", "").strip(), "role": request.POST.get("role")}
    try:
        services.situation_link_person(
            actor=actor, situation=situation, person_id=values["person"], role=values["role"]
        )
    except NotFound:
        errors = {"person": [_("No person you can see has that id.")]}
        return _detail_page(
            request, actor, public_id, form="person", errors=errors, values=values, status=400
        )
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "person", exc, values)
    messages.success(request, _("Person linked."))
    return _back(situation)


@login_required
@require_POST
def situation_unlink_person(request: HttpRequest, public_id: str, person_id: str) -> HttpResponse:
    actor, situation = _changeable(request, public_id)
    try:
        services.situation_unlink_person(actor=actor, situation=situation, person_id=person_id)
    except ApplicationError as exc:
        return _refused(request, actor, public_id, "person", exc, {})
    messages.success(request, _("Person unlinked from the situation."))
    return _back(situation)
