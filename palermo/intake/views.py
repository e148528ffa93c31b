"""The operator console: queue, quick contact form, a contact, escalation, lookup, statistics.

Thin: services and selectors do the work. Every page works without JavaScript; with it, htmx
refreshes the queue every ten seconds, saves drafts as the operator types and looks up
organisations in place.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.models import OrganisationType
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import attachments, selectors, services, statistics
from .access import contact_for_actor
from .models import (
    CallerType,
    Category,
    ContactChannel,
    EscalationBasis,
    PersonRole,
    Urgency,
)
from .statuses import moves_from
from .validation import CONTACT_FIELDS, MAX_LENGTHS, country_name

QUICK_FIELDS = (
    "channel",
    "category",
    "urgency",
    "caller_type",
    "language",
    "narrative",
    "location_text",
    "reporter_name",
    "reporter_phone",
    "campaign",
    "via_number",
)


def _actor(request: HttpRequest, *permissions: Perm) -> Actor:
    """The acting user; without the permission the page is a 404, as if it did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None:
        raise Http404
    if not any(actor.can(p) for p in permissions or (Perm.CONTACT_VIEW,)):
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


def _choices() -> dict[str, Any]:
    return {
        "channels": ContactChannel.choices,
        "categories": Category.choices,
        "urgencies": Urgency.choices,
        "caller_types": CallerType.choices,
        "org_types": OrganisationType.choices,
        "bases": EscalationBasis.choices,
        "person_roles": PersonRole.choices,
        "max_lengths": MAX_LENGTHS,
    }


# --- the queue -------------------------------------------------------------------------------


@login_required
def console(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    show = request.GET.get("show", "open")
    if show not in selectors.QUEUE_FILTERS:
        show = "open"
    now = timezone.now()
    queue = [
        {"contact": c, "waiting": now - c.received_at}
        for c in selectors.contact_queue(actor=actor, show=show)
    ]
    context = {
        "queue": queue,
        "show": show,
        "filters": [
            ("open", _("Open")),
            ("mine", _("Mine")),
            ("new", _("New")),
            ("closed", _("Recently closed")),
        ],
        "can_create": actor.can(Perm.CONTACT_CREATE),
        "refreshed_at": now,
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request and htmx.target == "queue"
    template = "intake/console.html#queue" if partial else "intake/console.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    patch_cache_control(response, no_store=True)
    return response


# --- the quick contact form ------------------------------------------------------------------


def _campaigns(actor: Actor) -> list[Any]:
    from .models import Campaign

    return list(Campaign.objects.filter(owner_organisation=actor.organisation, active=True))


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CONTACT_CREATE)
    errors: dict[str, list[str]] = {}
    error_message = ""
    values: dict[str, Any] = services.draft_load(actor=actor) if request.method == "GET" else {}
    values.setdefault("channel", ContactChannel.PHONE.value)
    values.setdefault("urgency", str(Urgency.NORMAL.value))
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in QUICK_FIELDS}
        try:
            contact = services.contact_create(actor=actor, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = _field_errors(exc)
            error_message = str(exc.message)
            services.draft_save(actor=actor, data=values)
        else:
            services.draft_clear(actor=actor)
            messages.success(
                request, _("Contact %(reference)s saved.") % {"reference": contact.reference}
            )
            if actor.can(Perm.CONTACT_VIEW):
                return redirect("intake:detail", public_id=contact.public_id)
            return redirect("intake:new")
    context = {
        "values": values,
        "errors": errors,
        "error_message": error_message,
        "campaigns": _campaigns(actor),
        "has_draft": request.method == "GET" and len(values) > 2,
        **_choices(),
    }
    return render(request, "intake/contact_form.html", context, status=400 if errors else 200)


@login_required
@require_POST
def draft_save(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CONTACT_CREATE)
    services.draft_save(
        actor=actor, data={name: request.POST.get(name, "") for name in CONTACT_FIELDS}
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "intake/contact_form.html#draft_status", {"saved_at": timezone.now()}
        )
    messages.info(request, _("Draft saved. It is here when you come back."))
    return redirect("intake:new")


# --- one contact -----------------------------------------------------------------------------


@login_required
def contact_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        view = selectors.contact_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    contact = view.contact
    person_links = list(contact.person_links.select_related("person"))
    context = {
        "view": view,
        "contact": contact,
        "person_links": person_links,
        "escalations": list(contact.escalations.select_related("to_organisation", "escalated_by")),
        "attachments": list(contact.attachments.all()) if view.can_see("narrative") else [],
        "moves": moves_from(contact.status),
        "colleagues": selectors.colleagues(actor),
        "can_change": actor.can(Perm.CONTACT_CREATE),
        "can_escalate": actor.can(Perm.CONTACT_ESCALATE),
        "can_link_persons": actor.can(Perm.PERSON_VIEW),
        "status_labels": dict(contact._meta.get_field("status").choices or []),  # type: ignore[arg-type]
        "waiting": timezone.now() - contact.received_at,
        **_choices(),
    }
    response = render(request, "intake/contact_detail.html", context)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _changeable(request: HttpRequest, public_id: str) -> tuple[Actor, Any]:
    actor = _actor(request, Perm.CONTACT_VIEW)
    try:
        contact = selectors.contact_for_change(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return actor, contact


def _back(request: HttpRequest, contact: Any) -> HttpResponse:
    if request.POST.get("next") == "console":
        return redirect("intake:console")
    return redirect("intake:detail", public_id=contact.public_id)


def _refused(request: HttpRequest, exc: ApplicationError, contact: Any) -> HttpResponse:
    if exc.status in (403, 404):
        raise _page_error(exc) from exc
    messages.error(
        request, " ".join([str(exc.message), *(str(m) for ms in exc.fields.values() for m in ms)])
    )
    response = _back(request, contact)
    return response


@login_required
@require_POST
def contact_claim(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, contact = _changeable(request, public_id)
    try:
        services.contact_assign(actor=actor, contact=contact)
    except ApplicationError as exc:
        return _refused(request, exc, contact)
    messages.success(request, _("You have %(reference)s.") % {"reference": contact.reference})
    return _back(request, contact)


@login_required
@require_POST
def contact_assign(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, contact = _changeable(request, public_id)
    try:
        services.contact_assign(
            actor=actor, contact=contact, user_id=request.POST.get("user") or None
        )
    except ApplicationError as exc:
        return _refused(request, exc, contact)
    messages.success(request, _("Assignment saved."))
    return _back(request, contact)


@login_required
@require_POST
def contact_status(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, contact = _changeable(request, public_id)
    try:
        services.contact_set_status(actor=actor, contact=contact, status=request.POST.get("status"))
    except ApplicationError as exc:
        return _refused(request, exc, contact)
    messages.success(request, _("Status changed."))
    return _back(request, contact)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request, Perm.CONTACT_VIEW)
    try:
        if request.method == "POST":
            contact = selectors.contact_for_change(actor=actor, public_id=public_id)
            visible = selectors.visible_groups(actor)
        else:
            view = selectors.contact_detail(actor=actor, public_id=public_id)
            contact, visible = view.contact, view.visible_groups
            if not actor.can(Perm.CONTACT_CREATE):
                raise PermissionDenied
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    fields = [n for n in QUICK_FIELDS if n not in ("reporter_name", "reporter_phone")]
    fields += ["occurred_text", "reporter_name", "reporter_phone", "reporter_email"]
    from .field_groups import group_of

    fields = [n for n in fields if (g := group_of(n)) is None or str(g) in visible]
    errors: dict[str, list[str]] = {}
    error_message = ""
    values: dict[str, Any] = {
        n: (str(contact.campaign.public_id) if contact.campaign else "")
        if n == "campaign"
        else getattr(contact, n)
        for n in fields
    }
    if request.method == "POST":
        values = {n: request.POST.get(n, "") for n in fields}
        try:
            services.contact_update(actor=actor, contact=contact, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = _field_errors(exc)
            error_message = str(exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("intake:detail", public_id=contact.public_id)
    context = {
        "values": {k: "" if v is None else str(v) for k, v in values.items()},
        "fields": fields,
        "errors": errors,
        "error_message": error_message,
        "contact": contact,
        "campaigns": _campaigns(actor),
        "editing": True,
        **_choices(),
    }
    return render(request, "intake/contact_form.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_escalate(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request, Perm.CONTACT_VIEW)
    try:
        contact = contact_for_actor(actor, public_id, "escalate")
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    errors: dict[str, list[str]] = {}
    error_message = ""
    values = {"basis": "", "to_organisation": "", "note": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            services.contact_escalate(actor=actor, contact=contact, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = _field_errors(exc)
            error_message = str(exc.message)
        else:
            messages.success(request, _("Escalation recorded."))
            return redirect("intake:detail", public_id=contact.public_id)
    context = {
        "contact": contact,
        "values": values,
        "errors": errors,
        "error_message": error_message,
        "organisations": services.law_enforcement_organisations(),
        **_choices(),
    }
    return render(request, "intake/escalate.html", context, status=400 if errors else 200)


@login_required
@require_POST
def contact_link_person(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, contact = _changeable(request, public_id)
    person = request.POST.get("person", "").strip()
    # People's own pages show a person's reference as P-xxxxxxxx; the API uses the full id.
    try:
        services.contact_link_person(
            actor=actor, contact=contact, person_id=person, role=request.POST.get("role")
        )
    except NotFound:
        messages.error(request, _("No person you can see has that id."))
        return _back(request, contact)
    except ApplicationError as exc:
        return _refused(request, exc, contact)
    messages.success(request, _("Person linked."))
    return _back(request, contact)


@login_required
@require_POST
def contact_situation(request: HttpRequest, public_id: str) -> HttpResponse:
    actor, contact = _changeable(request, public_id)
    other = request.POST.get("situation", "").strip()
    try:
        if other:
            situation = selectors.situation_by_reference(actor=actor, text=other, action="change")
            services.situation_add_contact(actor=actor, situation=situation, contact=contact)
        else:
            situation = services.situation_create(
                actor=actor, contact=contact, summary=request.POST.get("summary")
            )
    except NotFound:
        messages.error(request, _("No situation of your organisation has that id."))
        return _back(request, contact)
    except ApplicationError as exc:
        return _refused(request, exc, contact)
    messages.success(
        request, _("Contact added to situation %(reference)s.") % {"reference": situation.reference}
    )
    if request.POST.get("next") == "situation":
        return redirect("intake:situation_detail", public_id=situation.public_id)
    return _back(request, contact)


@login_required
def attachment_download(request: HttpRequest, public_id: str, attachment_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        contact = contact_for_actor(actor, public_id, "view")
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    if "narrative" not in selectors.visible_groups(actor):
        raise Http404
    from .access import public_key

    try:
        key = public_key(attachment_id)
    except NotFound:
        raise Http404 from None
    attachment = contact.attachments.filter(public_id=key).first()
    if attachment is None:
        raise Http404
    data = attachments.load(attachment.storage_name)
    from palermo.audit.services import audit_read

    audit_read(
        actor=actor,
        object_type="contact",
        object_id=str(contact.public_id),
        field_groups=["narrative"],
        details={"attachment": str(attachment.public_id)},
    )
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.public_id}"'
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- lookup and statistics --------------------------------------------------------------------


@login_required
def organisation_lookup(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CONTACT_VIEW, Perm.CONTACT_CREATE)
    query = request.GET.get("q", "")[: selectors.MAX_QUERY_LENGTH]
    org_type = request.GET.get("type", "")
    country = request.GET.get("country", "")[:2]
    searched = bool(query or org_type or country)
    results = (
        selectors.organisation_search(actor=actor, query=query, org_type=org_type, country=country)
        if searched
        else []
    )
    context = {
        "results": [{"organisation": o, "country_name": country_name(o.country)} for o in results],
        "query": query,
        "org_type": org_type,
        "country": country,
        "searched": searched,
        **_choices(),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "intake/organisations.html#results" if partial else "intake/organisations.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.INTAKE_STATISTICS)
    date_from, date_to, errors = statistics.parse_range(
        request.GET.get("from"), request.GET.get("to")
    )
    figures = statistics.intake_statistics(actor=actor, date_from=date_from, date_to=date_to)
    context = {
        "figures": figures,
        "errors": errors,
        "submitted": {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")},
        "small_cell": statistics.SMALL_CELL,
    }
    return render(request, "intake/statistics.html", context, status=400 if errors else 200)


def console_url() -> str:
    return reverse("intake:console")
