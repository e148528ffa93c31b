"""Case-file pages: each section's full list and its forms. Thin: access, services and
selectors do the work. A case the actor may not see is 404; a section whose group is withheld
is 403 (the actor knows the case exists; it learns nothing of the section)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import documents, forms, sections, selectors, services
from .access import CaseFile, casefile_for_actor, require_section
from .api import document_response
from .field_groups import SECTION_LABELS, Section
from .models import CarePlanStatus


def _actor(request: HttpRequest) -> Actor:
    """The acting user; a role that may not see cases gets 404, as if the pages did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.CASE_VIEW):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied(str(exc.message))
    return exc


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def _casefile(request: HttpRequest, case_id: str, action: str = "view") -> CaseFile:
    try:
        return casefile_for_actor(_actor(request), case_id, action)  # type: ignore[arg-type]
    except ApplicationError as exc:
        raise _page_error(exc) from exc


def _case_url(casefile: CaseFile) -> str:
    """The case page, once the cases app provides it."""
    try:
        return reverse("cases:detail", kwargs={"public_id": casefile.public_id})
    except NoReverseMatch:
        return ""


def _context(casefile: CaseFile, section: Section | None, **extra: Any) -> dict[str, Any]:
    return {
        "casefile": casefile,
        "case_url": _case_url(casefile),
        "section_label": SECTION_LABELS[section] if section else "",
        "can_write": casefile.may_write(section) if section else False,
        "nav": [
            {
                "label": SECTION_LABELS[s],
                "url": reverse(f"casefile:{s.value}", kwargs={"case_id": casefile.public_id}),
                "current": s == section,
            }
            for s in Section
            if casefile.sees(s)
        ],
        **extra,
    }


def _read(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ApplicationError as exc:
        raise _page_error(exc) from exc


def _write(fn: Any, **kwargs: Any) -> tuple[Any, dict[str, list[str]], str]:
    """Run a service; (result, {}, "") or (None, errors per field, message) for bad input."""
    try:
        return fn(**kwargs), {}, ""
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return None, _errors(exc), str(exc.message)


def _form_page(
    request: HttpRequest,
    casefile: CaseFile,
    section: Section,
    *,
    heading: str,
    fieldsets: list[dict[str, Any]],
    errors: dict[str, list[str]],
    error_message: str,
    cancel_url: str,
    multipart: bool = False,
) -> HttpResponse:
    context = _context(
        casefile,
        section,
        heading=heading,
        fieldsets=fieldsets,
        errors=errors,
        error_message=error_message,
        cancel_url=cancel_url,
        multipart=multipart,
    )
    return render(request, "casefile/form.html", context, status=400 if errors else 200)


def _require_write(casefile: CaseFile, section: Section) -> None:
    if not casefile.may_write(section):
        raise PermissionDenied


# --- overview ---------------------------------------------------------------------------------


@login_required
@require_GET
def overview(request: HttpRequest, case_id: str) -> HttpResponse:
    """Every section the actor may see, as on the case page, rendered by the same functions."""
    casefile = _casefile(request, case_id)
    rendered = []
    for name, template, _order in sections.SECTIONS:
        context = sections.CONTEXTS[name](request, casefile.actor, casefile.case)
        if context is not None:
            # Each section template escapes its own content.
            rendered.append(mark_safe(render_to_string(template, context, request)))  # noqa: S308
    return render(request, "casefile/overview.html", _context(casefile, None, sections=rendered))


# --- needs assessment -------------------------------------------------------------------------


@login_required
@require_GET
def needs(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id)
    versions = _read(selectors.assessment_list, casefile)
    return render(
        request,
        "casefile/needs.html",
        _context(casefile, Section.NEEDS, versions=versions),
    )


@login_required
@require_http_methods(["GET", "POST"])
def needs_new(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.NEEDS)
    _require_write(casefile, Section.NEEDS)
    values: dict[str, Any] = {"assessed_on": timezone.localdate().isoformat()}
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.assessment_values(request.POST)
        result, errors, message = _write(
            services.assessment_create,
            actor=casefile.actor,
            casefile=casefile,
            data=forms.assessment_posted(request.POST),
        )
        if result is not None:
            messages.success(request, _("Needs assessment saved."))
            return redirect("casefile:needs", case_id=casefile.public_id)
    return _form_page(
        request,
        casefile,
        Section.NEEDS,
        heading=_("New needs assessment"),
        fieldsets=forms.assessment_form(values, errors),
        errors=errors,
        error_message=message,
        cancel_url=reverse("casefile:needs", kwargs={"case_id": casefile.public_id}),
    )


# --- care plan --------------------------------------------------------------------------------


def _organisation_choices(casefile: CaseFile) -> list[tuple[str, Any]]:
    return [(str(o.public_id), o.name) for o in services.responsible_organisations(casefile)]


@login_required
@require_GET
def care_plan(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id)
    items = _read(selectors.care_plan_list, casefile)
    return render(
        request,
        "casefile/care_plan.html",
        _context(casefile, Section.CARE_PLAN, items=items),
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_plan_new(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.CARE_PLAN)
    _require_write(casefile, Section.CARE_PLAN)
    values: dict[str, Any] = {"status": CarePlanStatus.PLANNED}
    if not casefile.owner and casefile.actor.organisation is not None:
        values["responsible_organisation"] = str(casefile.actor.organisation.public_id)
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.posted(request.POST, forms.CARE_PLAN_FIELDS)
        result, errors, message = _write(
            services.care_plan_item_create, actor=casefile.actor, casefile=casefile, data=values
        )
        if result is not None:
            messages.success(request, _("Support added to the care plan."))
            return redirect("casefile:care_plan", case_id=casefile.public_id)
    return _form_page(
        request,
        casefile,
        Section.CARE_PLAN,
        heading=_("Add a support to the care plan"),
        fieldsets=forms.care_plan_form(
            values, errors, organisations=_organisation_choices(casefile), owner=casefile.owner
        ),
        errors=errors,
        error_message=message,
        cancel_url=reverse("casefile:care_plan", kwargs={"case_id": casefile.public_id}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_plan_item(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    """One support with its progress, and the form to record progress (POST)."""
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        item = _read(services.care_plan_item_for, casefile, item_id)
        values = forms.posted(request.POST, ("status", "actual_start", "actual_end", "note"))
        result, errors, message = _write(
            services.care_plan_progress_add,
            actor=casefile.actor,
            casefile=casefile,
            item=item,
            data=values,
        )
        if result is not None:
            messages.success(request, _("Progress recorded."))
            return redirect("casefile:care_plan_item", case_id=casefile.public_id, item_id=item_id)
    item = _read(selectors.care_plan_detail, casefile, item_id)
    values = values or {"status": item.status}
    may_progress = casefile.may_write(Section.CARE_PLAN) and (
        casefile.owner or item.responsible_organisation_id == casefile.actor.organisation_id
    )
    context = _context(
        casefile,
        Section.CARE_PLAN,
        item=item,
        may_progress=may_progress,
        may_edit=casefile.owner and casefile.may_write(Section.CARE_PLAN),
        fieldsets=forms.progress_form(values, errors),
        errors=errors,
        error_message=message,
    )
    return render(request, "casefile/care_plan_item.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def care_plan_edit(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.CARE_PLAN)
    if not (casefile.owner and casefile.may_write(Section.CARE_PLAN)):
        raise PermissionDenied
    item = _read(services.care_plan_item_for, casefile, item_id)
    errors: dict[str, list[str]] = {}
    message = ""
    if request.method == "POST":
        values = forms.posted(request.POST, forms.CARE_PLAN_FIELDS)
        result, errors, message = _write(
            services.care_plan_item_update,
            actor=casefile.actor,
            casefile=casefile,
            item=item,
            data=values,
        )
        if result is not None:
            messages.success(request, _("Changes saved."))
            return redirect("casefile:care_plan_item", case_id=casefile.public_id, item_id=item_id)
    else:
        values = {name: getattr(item, name, "") for name in forms.CARE_PLAN_FIELDS}
        org = item.responsible_organisation
        values["responsible_organisation"] = str(org.public_id) if org else ""
        for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
            values[name] = values[name].isoformat() if values[name] else ""
    return _form_page(
        request,
        casefile,
        Section.CARE_PLAN,
        heading=_("Change a support"),
        fieldsets=forms.care_plan_form(
            values, errors, organisations=_organisation_choices(casefile), owner=True
        ),
        errors=errors,
        error_message=message,
        cancel_url=reverse(
            "casefile:care_plan_item", kwargs={"case_id": casefile.public_id, "item_id": item_id}
        ),
    )


# --- notes ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, case_id: str) -> HttpResponse:
    """The notes, newest first, with the form to add one (htmx swaps the list in place)."""
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.NOTES)
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = forms.posted(request.POST, ("text",))
        result, errors, message = _write(
            services.note_create, actor=casefile.actor, casefile=casefile, data=values
        )
        htmx = request.htmx  # type: ignore[attr-defined]
        if result is not None:
            if not htmx:
                messages.success(request, _("Note added."))
                return redirect("casefile:notes", case_id=casefile.public_id)
            values = {}
    page = _read(selectors.note_page, casefile, request.GET.get("page", 1))
    context = _context(
        casefile,
        Section.NOTES,
        page=page,
        fieldsets=forms.note_form(values, errors, _("Add a note")),
        errors=errors,
        error_message=message,
    )
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and request.method == "POST"
    template = "casefile/notes.html#notes_body" if partial else "casefile/notes.html"
    # htmx swaps only 2xx answers: a refused htmx post is a 200 carrying the messages.
    status = 400 if errors and not partial else 200
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def note_correct(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    note = _read(selectors.note_detail, casefile, item_id)
    _require_write(casefile, Section.NOTES)
    if note.author_organisation_id != casefile.actor.organisation_id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = forms.posted(request.POST, ("text",))
        result, errors, message = _write(
            services.note_create,
            actor=casefile.actor,
            casefile=casefile,
            data={**values, "corrects": str(note.public_id)},
        )
        if result is not None:
            messages.success(request, _("Correction added."))
            return redirect("casefile:notes", case_id=casefile.public_id)
    context = _context(
        casefile,
        Section.NOTES,
        note=note,
        fieldsets=forms.note_form(values, errors, _("Correction")),
        errors=errors,
        error_message=message,
    )
    return render(request, "casefile/note_correct.html", context, status=400 if errors else 200)


# --- documents --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def documents_page(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.DOCUMENTS)
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = forms.posted(request.POST, ("document_type", "description"))
        result, errors, message = _write(
            services.document_add,
            actor=casefile.actor,
            casefile=casefile,
            data=values,
            upload=request.FILES.get("file"),
        )
        if result is not None:
            messages.success(request, _("Document added."))
            return redirect("casefile:documents", case_id=casefile.public_id)
    rows = _read(selectors.document_list, casefile)
    context = _context(
        casefile,
        Section.DOCUMENTS,
        documents=rows,
        fieldsets=forms.document_form(
            values,
            errors,
            types=casefile.document_types(),
            max_size=documents._size_text(documents.max_bytes()),
        ),
        errors=errors,
        error_message=message,
    )
    return render(request, "casefile/documents.html", context, status=400 if errors else 200)


@login_required
@require_GET
def document_download(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id)
    try:
        row, data = selectors.document_content(casefile, item_id)
    except ApplicationError as exc:
        # A document of a type the actor may not see is as absent as one that does not exist.
        if exc.status in (403, 404):
            raise Http404 from exc
        raise
    return document_response(row.public_id.hex[:8].upper(), row.content_type, data)


# --- trafficking events -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def events(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.EVENTS)
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        _require_write(casefile, Section.EVENTS)
        values = forms.event_posted(request.POST)
        result, errors, message = _write(
            services.event_create, actor=casefile.actor, casefile=casefile, data=values
        )
        if result is not None:
            messages.success(request, _("Event added."))
            return redirect("casefile:events", case_id=casefile.public_id)
    rows = _read(selectors.event_list, casefile)
    context = _context(
        casefile,
        Section.EVENTS,
        events=rows,
        fieldsets=forms.event_form(values, errors),
        errors=errors,
        error_message=message,
    )
    return render(request, "casefile/events.html", context, status=400 if errors else 200)


# --- perpetrators -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def perpetrators(request: HttpRequest, case_id: str) -> HttpResponse:
    casefile = _casefile(request, case_id, "edit" if request.method == "POST" else "view")
    _read(require_section, casefile, Section.PERPETRATORS)
    errors: dict[str, list[str]] = {}
    message = ""
    values: dict[str, Any] = {}
    if request.method == "POST":
        _require_write(casefile, Section.PERPETRATORS)
        values = forms.perpetrator_posted(request.POST)
        result, errors, message = _write(
            services.perpetrator_create, actor=casefile.actor, casefile=casefile, data=values
        )
        if result is not None:
            messages.success(request, _("Perpetrator recorded."))
            return redirect("casefile:perpetrators", case_id=casefile.public_id)
    rows = _read(selectors.perpetrator_list, casefile)
    context = _context(
        casefile,
        Section.PERPETRATORS,
        perpetrators=rows,
        fieldsets=forms.perpetrator_form(values, errors),
        errors=errors,
        error_message=message,
    )
    return render(request, "casefile/perpetrators.html", context, status=400 if errors else 200)
