"""Person pages: list and search, register, view, edit. Thin: services and selectors do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from palermo.accounts.actors import Actor
from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup, Perm
from palermo.consent.selectors import consent_summary
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import selectors, services
from .field_groups import DEMOGRAPHIC_FIELDS, PERSON_FIELD_GROUPS
from .forms import FIELD_HINTS, FIELD_LABELS, SearchForm, field_widget, form_sections
from .selectors import PersonView
from .validation import EDITABLE_FIELDS


def _actor(request: HttpRequest) -> Actor:
    """The acting user; a role that may not see persons gets 404, as if the pages did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.PERSON_VIEW):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    """The page-level exception for a refusal by the access layer."""
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _form_context(
    visible_groups: frozenset[str], values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    sections = []
    for section in form_sections(visible_groups):
        fields = []
        for name in section["fields"]:
            value = values.get(name)
            fields.append(
                {
                    "name": name,
                    "id": f"id_{name}",
                    "label": FIELD_LABELS[name],
                    "hint": FIELD_HINTS.get(name, ""),
                    "value": value if isinstance(value, bool) else _as_text(value),
                    "errors": errors.get(name, []),
                    **field_widget(name),
                }
            )
        sections.append({"legend": section["legend"], "fields": fields})
    return sections


def _submitted(request: HttpRequest, visible_groups: frozenset[str]) -> dict[str, Any]:
    """The fields this actor's form shows, as posted (a missing checkbox means 'no')."""
    allowed = {n for g, ns in PERSON_FIELD_GROUPS.items() if str(g) in visible_groups for n in ns}
    allowed |= set(DEMOGRAPHIC_FIELDS)
    # Only what was posted: a form that left a field out must not erase it.
    data: dict[str, Any] = {
        n: request.POST[n] for n in EDITABLE_FIELDS if n in allowed and n in request.POST
    }
    if "deceased_shown" in request.POST:  # an unticked checkbox is absent from the post
        data["deceased"] = request.POST.get("deceased", "") == "on"
    return data


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    search = SearchForm(request.GET or None)
    refused = search.is_bound and not search.is_valid()
    query = search.cleaned_data["q"] if search.is_bound and not refused else ""
    page = None
    if not refused:
        page_number = request.GET.get("page", 1)
        page = selectors.person_list(actor=actor, query=query, page_number=page_number)
    context = {
        "page": page,
        "search": search,
        "query": query,
        "can_create": actor.can(Perm.PERSON_CREATE),
    }
    # An htmx search swaps in the results only; a history restore needs the whole page.
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "people/person_list.html#results" if partial else "people/person_list.html"
    # htmx does not swap in a 4xx answer, so a refused htmx search is a 200 carrying the message.
    status = 400 if refused and not partial else 200
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.can(Perm.PERSON_CREATE):
        raise Http404
    visible = actor.field_groups()
    values: dict[str, Any] = {"gender": "NonSpecifiedUnknown"}
    errors: dict[str, list[str]] = {}
    error_message = ""
    if request.method == "POST":
        values = _submitted(request, visible)
        try:
            person = services.person_create(actor=actor, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = _field_errors(exc)
            error_message = str(exc.message)
        else:
            messages.success(request, _("Person registered."))
            return redirect("people:detail", public_id=person.public_id)
    context = {
        "sections": _form_context(visible, values, errors),
        "error_message": error_message,
        "errors": errors,
        "heading": _("Register a person"),
    }
    return render(request, "people/person_form.html", context, status=400 if errors else 200)


@login_required
def person_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        view = selectors.person_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return render(
        request,
        "people/person_detail.html",
        {
            "view": view,
            "groups": _detail_groups(view),
            "can_edit": actor.can(Perm.PERSON_EDIT),
            # Consent: the decisions in force (no personal data), and the link to change them.
            "consent": consent_summary(actor=actor, person=view.person),
            "can_open_consent": actor.can(Perm.CONSENT_RECORD) or actor.can(Perm.CONSENT_OVERRIDE),
            "can_screen": actor.can(Perm.SCREENING_CONDUCT),
        },
    )


def _detail_groups(view: PersonView) -> list[dict[str, Any]]:
    groups = []
    for group, names in PERSON_FIELD_GROUPS.items():
        visible = view.can_see(str(group))
        rows = [{"label": FIELD_LABELS[n], "value": _as_text(view.get(n))} for n in names]
        groups.append(
            {
                "legend": FIELD_GROUP_LABELS[FieldGroup(group)],
                "visible": visible,
                "consent_withheld": str(group) in view.consent_withheld,
                "rows": rows if visible else [],
            }
        )
    profile = []
    for name in DEMOGRAPHIC_FIELDS:
        value = view.get(name)
        display = getattr(view.person, f"get_{name}_display", None)
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        else:
            text = str(display()) if display and value else _as_text(value)
        profile.append({"label": FIELD_LABELS[name], "value": text})
    groups.append({"legend": _("Profile"), "visible": True, "rows": profile})
    return groups


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        if request.method == "POST":
            # A write shows nothing stored: the access check, not an audited read.
            view = selectors.person_for_change(actor=actor, public_id=public_id)
        else:
            view = selectors.person_detail(actor=actor, public_id=public_id, action="edit")
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    visible = view.visible_groups
    values = {name: view.get(name) for name in EDITABLE_FIELDS}
    errors: dict[str, list[str]] = {}
    error_message = ""
    if request.method == "POST":
        values = _submitted(request, visible)
        try:
            services.person_update(actor=actor, person=view.person, data=values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors = _field_errors(exc)
            error_message = str(exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("people:detail", public_id=view.public_id)
    context = {
        "sections": _form_context(visible, values, errors),
        "error_message": error_message,
        "errors": errors,
        "heading": _("Edit %(reference)s") % {"reference": view.reference},
        "view": view,
    }
    return render(request, "people/person_form.html", context, status=400 if errors else 200)
