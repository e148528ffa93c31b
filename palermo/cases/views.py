"""Case pages: list, dashboard, overdue deadlines, detail, and the forms that change a case.

Thin: services and selectors do the work. A role that may not see cases gets 404 for every
page, as if they did not exist; an action the actor's role may not take on a case it sees is
403. Bad input re-renders the form with the translated message next to the field (400).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.intake.access import contact_for_actor, situation_for_actor
from palermo.intake.models import ContactPerson, SituationPerson
from palermo.people.access import person_for_actor
from palermo.people.models import Gender, Person
from palermo.people.selectors import PersonView, visible_groups
from palermo.screening.access import screening_for_actor

from . import selectors, services
from .access import case_for_actor, owns_case
from .lifecycle import lifecycle_for, lifecycle_in_force
from .models import OPEN_STATUSES, CaseStatus, ClosureReason
from .sections import case_sections, dashboard_panels
from .validation import MAX_CONTACT_LENGTH, MAX_REASON_LENGTH, MAX_SUMMARY_LENGTH

DASHBOARD_ROWS = 10


def _actor(request: HttpRequest, permission: Perm = Perm.CASE_VIEW) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(permission):
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


# --- lists ---------------------------------------------------------------------------------


def _filter_context(actor: Actor) -> dict[str, Any]:
    lifecycle = lifecycle_in_force()
    return {
        "status_choices": [("open", _("Open")), ("all", _("All")), *CaseStatus.choices],
        "stage_choices": [(s.key, s.label()) for s in lifecycle.ordered_stages()],
    }


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    error = ""
    page = None
    filters = selectors.CaseFilters()
    try:
        filters = selectors.clean_filters(request.GET)
        page = selectors.case_list(
            actor=actor, filters=filters, cursor=request.GET.get("cursor", "")[:64]
        )
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        error = " ".join(m for ms in _errors(exc).values() for m in ms)
    context = {
        "page": page,
        "filters": filters,
        "error": error,
        "can_open": actor.can(Perm.CASE_OPEN),
        "query": _query(filters),
        **_filter_context(actor),
    }
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "cases/case_list.html#results" if partial else "cases/case_list.html"
    status = 400 if error and not partial else 200
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _query(filters: selectors.CaseFilters) -> str:
    from django.utils.http import urlencode

    params = {"status": filters.status}
    if filters.stage:
        params["stage"] = filters.stage
    if filters.mine:
        params["mine"] = "1"
    if filters.overdue:
        params["overdue"] = "1"
    return urlencode(params)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    today = timezone.localdate()
    caseload = None
    if actor.can(Perm.CASE_EDIT):
        caseload = selectors.case_list(
            actor=actor, filters=selectors.CaseFilters(mine=True), per_page=DASHBOARD_ROWS
        )
    due = selectors.case_list(
        actor=actor,
        filters=selectors.CaseFilters(deadline_before=today + datetime.timedelta(days=1)),
        per_page=DASHBOARD_ROWS,
    )
    panels: list[SafeString] = []
    for panel in dashboard_panels():
        panel_context = panel.context(request, actor)
        if panel_context is not None:
            panels.append(mark_safe(render_to_string(panel.template, panel_context, request)))  # noqa: S308 - our templates, autoescaped
    return render(
        request,
        "cases/dashboard.html",
        {"caseload": caseload, "due": due, "panels": panels, "today": today},
    )


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    rows, more = selectors.overdue_deadlines(actor=actor)
    return render(request, "cases/overdue.html", {"rows": rows, "more": more})


# --- one case --------------------------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        detail = selectors.case_detail(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    case = detail.case
    sections: list[SafeString] = []
    for section in case_sections():
        section_context = section.context(request, actor, case)
        if section_context is not None:
            sections.append(
                mark_safe(render_to_string(section.template, section_context, request))  # noqa: S308 - our templates, autoescaped
            )
    stage = detail.stage
    is_open = case.status in OPEN_STATUSES
    owner = owns_case(actor, case)
    lifecycle = detail.lifecycle
    deciding_org = case.competent_organisation_id or case.owner_organisation_id
    can_decide = (
        is_open
        and stage is not None
        and lifecycle.may_decide(stage, actor)
        and actor.organisation_id == deciding_org
    )
    context = {
        "detail": detail,
        "case": case,
        "timeline": selectors.timeline(detail),
        "sections": sections,
        "can_decide": can_decide,
        "can_assign": is_open and owner and actor.can(Perm.CASE_EDIT),
        "can_advance": is_open
        and owner
        and actor.can(Perm.CASE_EDIT)
        and bool(stage and stage.next),
        "next_stage": lifecycle.stage_label(stage.next) if stage and stage.next else "",
        "can_close": is_open and owner and actor.can(Perm.CASE_CLOSE),
        "can_reopen": not is_open
        and owner
        and actor.can(Perm.CASE_CLOSE)
        and lifecycle.closure.reopen,
    }
    return render(request, "cases/case_detail.html", context)


def _case_for_form(actor: Actor, public_id: str, action: Any) -> Any:
    try:
        case = case_for_actor(actor, public_id, action)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return case


@login_required
@require_http_methods(["GET", "POST"])
def case_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    case = _case_for_form(actor, public_id, "decide")
    lifecycle = lifecycle_for(case.country)
    stage = lifecycle.stage(case.stage)
    deciding_org = case.competent_organisation_id or case.owner_organisation_id
    if (
        stage is None
        or stage.decision is None
        or case.status not in OPEN_STATUSES
        or not lifecycle.may_decide(stage, actor)
        or actor.organisation_id != deciding_org
    ):
        raise PermissionDenied
    values = {"outcome": "", "reason": ""}
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            services.case_decide(
                actor=actor,
                case_id=case.public_id,
                outcome=values["outcome"],
                reason=values["reason"],
            )
        except ApplicationError as exc:
            if exc.status not in (400, 409):
                raise _page_error(exc) from exc
            errors, message, status = _errors(exc), str(exc.message), exc.status
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("cases:detail", public_id=case.public_id)
    context = {
        "case": case,
        "stage": stage,
        "decision_label": stage.decision.label(),
        "positive_label": lifecycle.stage_label(stage.decision.positive),
        "negative_label": lifecycle.stage_label(stage.decision.negative),
        "values": values,
        "errors": errors,
        "message": message,
        "max_reason": MAX_REASON_LENGTH,
    }
    return render(request, "cases/decide.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    case = _case_for_form(actor, public_id, "edit")
    if not owns_case(actor, case):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    selected = case.case_worker.username if case.case_worker else ""
    if request.method == "POST":
        selected = request.POST.get("case_worker", "")
        try:
            services.case_assign(actor=actor, case_id=case.public_id, username=selected)
        except ApplicationError as exc:
            if exc.status not in (400, 409):
                raise _page_error(exc) from exc
            errors, message, status = _errors(exc), str(exc.message), exc.status
        else:
            messages.success(request, _("Case worker assigned."))
            return redirect("cases:detail", public_id=case.public_id)
    context = {
        "case": case,
        "workers": services.assignable_workers(case),
        "selected": selected,
        "errors": errors,
        "message": message,
    }
    return render(request, "cases/assign.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def case_close(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    case = _case_for_form(actor, public_id, "close")
    if not owns_case(actor, case):
        raise PermissionDenied
    lifecycle = lifecycle_for(case.country)
    labels = dict(ClosureReason.choices)
    reasons = [(r, labels.get(r, r)) for r in lifecycle.closure.reasons]
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    selected = ""
    if request.method == "POST":
        selected = request.POST.get("reason", "")
        try:
            services.case_close(actor=actor, case_id=case.public_id, reason=selected)
        except ApplicationError as exc:
            if exc.status not in (400, 409):
                raise _page_error(exc) from exc
            errors, message, status = _errors(exc), str(exc.message), exc.status
        else:
            messages.success(request, _("Case closed."))
            return redirect("cases:detail", public_id=case.public_id)
    context = {
        "case": case,
        "reasons": reasons,
        "selected": selected,
        "errors": errors,
        "message": message,
    }
    return render(request, "cases/close.html", context, status=status)


def _post_action(request: HttpRequest, public_id: str, action: Any, success: str) -> HttpResponse:
    actor = _actor(request)
    try:
        action(actor=actor, case_id=public_id)
    except ApplicationError as exc:
        if exc.status not in (400, 409):
            raise _page_error(exc) from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    try:
        case = case_for_actor(actor, public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return redirect("cases:detail", public_id=case.public_id)


@login_required
@require_POST
def case_advance(request: HttpRequest, public_id: str) -> HttpResponse:
    return _post_action(request, public_id, services.case_advance, _("The case moved on."))


@login_required
@require_POST
def case_reopen(request: HttpRequest, public_id: str) -> HttpResponse:
    return _post_action(request, public_id, services.case_reopen, _("Case reopened."))


# --- opening -----------------------------------------------------------------------------------


def _name(actor: Actor, person: Person) -> str:
    return PersonView(person, visible_groups(actor, person) & {"identity"}).display_name


def _open_candidates(actor: Actor, source: dict[str, str]) -> list[Person]:
    """The persons the form offers, from where the user came (a person, screening, contact…)."""
    if source["screening"]:
        screening = screening_for_actor(actor, source["screening"])
        return [screening.person] if screening.person is not None else []
    if source["contact"]:
        contact = contact_for_actor(actor, source["contact"])
        linked = ContactPerson.objects.filter(contact=contact).values_list("person_id", flat=True)
        return _visible_persons(actor, list(linked))
    if source["situation"]:
        situation = situation_for_actor(actor, source["situation"])
        involved = SituationPerson.objects.filter(situation=situation).values_list(
            "person_id", flat=True
        )
        return _visible_persons(actor, list(involved))
    if source["person"]:
        return [person_for_actor(actor, source["person"])]
    return []


def _visible_persons(actor: Actor, ids: list[int]) -> list[Person]:
    from palermo.people.access import persons_visible_to

    return list(persons_visible_to(actor).filter(pk__in=ids[:50]).order_by("pk"))


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CASE_OPEN)
    lifecycle = lifecycle_in_force()
    if not lifecycle.may_open(actor):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    source = {k: str(data.get(k, ""))[:36] for k in ("person", "screening", "contact", "situation")}
    try:
        candidates = _open_candidates(actor, source)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    persons = []
    for person in candidates:
        refusal = services.consent_refusal(person, lifecycle)
        persons.append(
            {
                "person": person,
                "name": _name(actor, person),
                "consent": services.consent_status(person, lifecycle),
                "refusal": str(refusal.message) if refusal else "",
            }
        )
    competent = services.competent_organisations(lifecycle)
    values = {
        "summary": "",
        "competent_organisation": str(competent[0].public_id) if len(competent) == 1 else "",
        "person": source["person"]
        or (str(candidates[0].public_id) if len(candidates) == 1 else ""),
    }
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    if request.method == "POST":
        values = {
            "summary": request.POST.get("summary", ""),
            "competent_organisation": request.POST.get("competent_organisation", "")[:36],
            "person": request.POST.get("person", "")[:36],
        }
        try:
            case = services.case_open(
                actor=actor,
                person_id=values["person"],
                summary=values["summary"],
                screening_id=source["screening"],
                contact_id=source["contact"],
                situation_id=source["situation"],
                competent_organisation_id=values["competent_organisation"],
            )
        except ApplicationError as exc:
            if exc.status not in (400, 409):
                raise _page_error(exc) from exc
            errors, message, status = _errors(exc), str(exc.message), exc.status
        else:
            messages.success(request, _("%(reference)s opened.") % {"reference": case.reference})
            return redirect("cases:detail", public_id=case.public_id)
    context = {
        "persons": persons,
        "source": source,
        "values": values,
        "competent": competent,
        "errors": errors,
        "message": message,
        "max_summary": MAX_SUMMARY_LENGTH,
        "lifecycle": lifecycle,
    }
    return render(request, "cases/open.html", context, status=status)


# --- anonymous notifications ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def anonymous_notification(request: HttpRequest) -> HttpResponse:
    actor = _actor(request, Perm.CASE_OPEN)
    if not lifecycle_in_force().may_open(actor):
        raise PermissionDenied
    values = {"gender": "", "nationality": "", "contact": ""}
    person_id = request.GET.get("person", "")[:36]
    if person_id and request.method == "GET":
        # Start from the refused person's gender and first citizenship (nothing else).
        try:
            person = person_for_actor(actor, person_id)
        except ApplicationError:
            person = None
        if person is not None:
            values["gender"] = person.gender
            values["nationality"] = (person.citizenship or [""])[0]
    errors: dict[str, list[str]] = {}
    message = ""
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            services.anonymous_notification_create(actor=actor, **values)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, message, status = _errors(exc), str(exc.message), 400
        else:
            messages.success(request, _("Anonymous notification recorded."))
            return redirect("cases:anonymous")
    context = {
        "values": values,
        "errors": errors,
        "message": message,
        "genders": Gender.choices,
        "max_contact": MAX_CONTACT_LENGTH,
        "notifications": selectors.anonymous_notifications(actor=actor, limit=20),
    }
    return render(request, "cases/anonymous.html", context, status=status)


@login_required
def lifecycle_page(request: HttpRequest) -> HttpResponse:
    _actor(request)
    lifecycle = lifecycle_in_force()
    return render(
        request,
        "cases/lifecycle.html",
        {"lifecycle": lifecycle, "described": lifecycle.describe()},
    )
