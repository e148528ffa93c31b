"""Screening pages: start, the wizard (one group of questions per step), the result with its
explanation, registration of the person, and review. Thin: services and selectors do the work.

Every form works without JavaScript (POST, then redirect); with htmx a step's form swaps in the
next step without reloading the page. A refused form comes back with its messages and status
400 (200 for htmx, which does not swap a 4xx answer in).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlencode
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.consent.models import CONSENT_PURPOSE_LABELS, DECISION_LABELS
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.people.access import person_for_actor
from palermo.people.forms import FIELD_HINTS, FIELD_LABELS, field_widget
from palermo.people.validation import clean_person_input

from . import instruments as catalogue
from . import selectors, services
from .access import may_screen, screening_for_actor
from .decisions import OUTCOMES, ReviewDecision
from .duplicates import Candidate, registration_candidates
from .models import REVIEW_DECISION_CHOICES, Outcome, ScreeningStatus
from .presentation import (
    group_context,
    submitted_answers,
    summary_context,
    trail_context,
)

_CHECK_SALT = "palermo.screening.duplicates-checked"


def _actor(request: HttpRequest) -> Actor:
    """The acting user; a role that does not screen gets 404, as if the pages did not exist."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or not may_screen(actor):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _errors(exc: ApplicationError) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.fields.items()}


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def _languages() -> list[dict[str, str]]:
    return [
        {"code": code, "name": get_language_info(code)["name_local"]}
        for code in catalogue.LANGUAGES
    ]


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_local"])
    except KeyError:
        return code


# --- list and start ----------------------------------------------------------------------


@login_required
def screening_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    lists = selectors.screening_lists(actor=actor)
    language = selectors.ui_language()

    def rows(screenings: list[Any]) -> list[dict[str, Any]]:
        return [
            {"screening": s, "title": selectors.instrument_title(s.instrument_id, language)}
            for s in screenings
        ]

    return render(
        request,
        "screening/screening_list.html",
        {
            "drafts": rows(lists.drafts),
            "recent": rows(lists.recent),
            "to_review": rows(lists.to_review),
            "can_start": actor.can(Perm.SCREENING_CONDUCT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def screening_start(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not actor.can(Perm.SCREENING_CONDUCT):
        raise Http404
    language = selectors.ui_language()
    source = request.POST if request.method == "POST" else request.GET
    person_id = source.get("person", "").strip()
    person = None
    if person_id:
        try:
            person = person_for_actor(actor, person_id, "view")
        except ApplicationError as exc:
            raise _page_error(exc) from exc
    default_language = language
    if person is not None and person.primary_language in catalogue.LANGUAGES:
        default_language = person.primary_language
    form = {
        "instrument": source.get("instrument", ""),
        "interviewee_language": source.get("interviewee_language", default_language),
    }
    errors: dict[str, list[str]] = {}
    error_message = ""
    if request.method == "POST":
        try:
            screening = services.screening_start(
                actor=actor,
                instrument_id=form["instrument"],
                interviewee_language=form["interviewee_language"],
                interviewer_language=language,
                person_id=person_id or None,
            )
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, error_message = _errors(exc), str(exc.message)
        else:
            return redirect("screening:step", public_id=screening.public_id, number=1)
    instruments = [
        {
            "id": instrument.id,
            "version": instrument.version,
            "title": catalogue.localised(instrument.title, language),
            "description": catalogue.localised(instrument.description, language)
            if instrument.description
            else "",
            "steps": len(instrument.groups),
            "questions": len(instrument.questions),
        }
        for instrument in sorted(catalogue.all_instruments().values(), key=lambda i: i.id)
    ]
    return render(
        request,
        "screening/screening_start.html",
        {
            "instruments": instruments,
            "languages": _languages(),
            "form": form,
            "errors": errors,
            "error_message": error_message,
            "person": person,
        },
        status=400 if errors else 200,
    )


# --- the wizard ----------------------------------------------------------------------------


def _step_context(
    page: selectors.StepPage,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
) -> dict[str, Any]:
    screening = page.screening
    mine = selectors.ui_language()
    theirs = screening.interviewee_language
    return {
        "screening": screening,
        "page": page,
        "group": group_context(page.group, values, mine=mine, theirs=theirs, errors=errors),
        "instrument_title": catalogue.localised(page.instrument.title, mine),
        "interviewer_language": _language_name(mine),
        "interviewee_language": _language_name(theirs),
        "same_language": mine == theirs,
        "error_message": error_message,
        "steps": [
            {
                "number": i + 1,
                "title": catalogue.localised(g.title, mine),
                "current": i == page.index,
            }
            for i, g in enumerate(page.instrument.groups)
        ],
    }


def _render_step(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200, push: str = ""
) -> HttpResponse:
    htmx = _is_htmx(request)
    template = "screening/step.html#wizard" if htmx else "screening/step.html"
    # htmx does not swap in a 4xx answer: a refused step comes back as 200 with its messages.
    response = render(request, template, context, status=200 if htmx else status)
    if htmx and push:
        push_url(response, push)
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def screening_step(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    actor = _actor(request)
    try:
        page = selectors.wizard_step(
            actor=actor, public_id=public_id, index=number - 1, audit=request.method == "GET"
        )
    except ApplicationError as exc:
        if exc.code == "not_a_draft":
            return redirect("screening:detail", public_id=public_id)
        raise _page_error(exc) from exc
    if page.number != number:
        return redirect("screening:step", public_id=public_id, number=page.number)
    if request.method == "GET":
        return _render_step(request, _step_context(page, dict(page.screening.answers or {})))

    action = request.POST.get("action", "next")
    submitted = submitted_answers(page.group, request.POST)
    target = {"back": page.index - 1, "save": page.index}.get(action, page.index + 1)
    try:
        services.screening_save_answers(
            actor=actor,
            screening=page.screening,
            answers=submitted,
            step=max(target, 0),
            allowed=[q.id for q in page.group.questions],
        )
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        stored = page.screening.answers or {}
        if any(q.id in stored and submitted.get(q.id) is None for q in page.group.questions):
            selectors.audit_answers_shown(actor, page.screening, what=f"step {page.number}")
        values = {**stored, **{k: v for k, v in submitted.items() if v is not None}}
        context = _step_context(page, values, _errors(exc), str(exc.message))
        return _render_step(request, context, status=400)

    if action == "save":
        messages.success(request, _("Draft saved. You can resume it from the screening list."))
    if target < 0:
        target = 0
    if target >= page.total:
        url = reverse("screening:finish", args=[page.screening.public_id])
        return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)
    url = reverse("screening:step", args=[page.screening.public_id, target + 1])
    if not _is_htmx(request):
        return redirect(url)
    next_page = selectors.wizard_step(actor=actor, public_id=public_id, index=target)
    context = _step_context(next_page, dict(next_page.screening.answers or {}))
    return _render_step(request, context, push=url)


@login_required
@require_http_methods(["GET", "POST"])
def screening_finish(request: HttpRequest, public_id: str) -> HttpResponse:
    """The answers in words before completing; completing stores the assessment."""
    actor = _actor(request)
    try:
        screening = screening_for_actor(actor, public_id, "answer")
    except ApplicationError as exc:
        if exc.code == "not_a_draft":
            return redirect("screening:detail", public_id=public_id)
        raise _page_error(exc) from exc
    if request.method == "POST":
        try:
            services.screening_complete(actor=actor, screening=screening)
        except ApplicationError as exc:
            raise _page_error(exc) from exc
        return redirect("screening:detail", public_id=screening.public_id)
    instrument = catalogue.all_instruments()[screening.instrument_id]
    language = selectors.ui_language()
    if screening.answers:
        selectors.audit_answers_shown(actor, screening, what="summary")
    groups = summary_context(instrument, screening.answers or {}, language)
    return render(
        request,
        "screening/finish.html",
        {
            "screening": screening,
            "groups": groups,
            "instrument_title": catalogue.localised(instrument.title, language),
            "unanswered": sum(g["unanswered"] for g in groups),
            "last_step": len(instrument.groups),
        },
    )


# --- the result ----------------------------------------------------------------------------


@login_required
def screening_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        page = selectors.screening_page(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    return _render_detail(request, actor, page)


def _render_detail(
    request: HttpRequest,
    actor: Actor,
    page: selectors.ScreeningPage,
    *,
    review_form: dict[str, Any] | None = None,
    review_errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    status: int = 200,
) -> HttpResponse:
    screening = page.screening
    language = selectors.ui_language()
    assessment = page.assessment
    consent_url = ""
    if page.can_record_consent and screening.person is not None:
        query = urlencode(
            {
                "screening": str(screening.public_id),
                "next": reverse("screening:detail", args=[screening.public_id]),
                "language": screening.interviewee_language,
            }
        )
        consent_url = reverse("consent:person", args=[screening.person.public_id]) + "?" + query
    outcomes = [(value, label) for value, label in Outcome.choices if value in OUTCOMES]
    context = {
        "page": page,
        "screening": screening,
        "instrument_title": selectors.instrument_title(screening.instrument_id, language),
        "outcome_label": Outcome(screening.outcome).label if screening.outcome else "",
        "final_outcome_label": Outcome(screening.final_outcome).label
        if screening.final_outcome
        else "",
        "trail": trail_context(assessment, language) if assessment else None,
        "elements": [
            {"id": e, "status": screening.elements.get(e, "")} for e in ("act", "means", "purpose")
        ],
        "consent_url": consent_url,
        "consents": [
            {
                "purpose": CONSENT_PURPOSE_LABELS.get(record.purpose, record.purpose),  # type: ignore[call-overload]
                "decision": DECISION_LABELS.get(record.decision, record.decision),  # type: ignore[call-overload]
                "organisation": record.organisation,
            }
            for record in page.consents_captured
        ],
        "review_form": review_form or {"decision": str(ReviewDecision.CONFIRM)},
        "review_errors": review_errors or {},
        "review_choices": REVIEW_DECISION_CHOICES,
        "outcomes": outcomes,
        "error_message": error_message,
        "is_draft": screening.status == ScreeningStatus.DRAFT,
    }
    return render(request, "screening/screening_detail.html", context, status=status)


@login_required
@require_POST
def screening_review(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        screening = screening_for_actor(actor, public_id, "review")
    except ApplicationError as exc:
        if exc.status == 409:  # a draft: the page says so, with its own status
            page = selectors.screening_page(actor=actor, public_id=public_id)
            return _render_detail(request, actor, page, error_message=str(exc.message), status=409)
        raise _page_error(exc) from exc
    data = {name: request.POST.get(name, "") for name in ("decision", "outcome", "reason")}
    try:
        services.screening_review(actor=actor, screening=screening, data=data)
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        page = selectors.screening_page(actor=actor, public_id=public_id)
        return _render_detail(
            request,
            actor,
            page,
            review_form=data,
            review_errors=_errors(exc),
            error_message=str(exc.message),
            status=400,
        )
    messages.success(request, _("Review recorded."))
    return redirect("screening:detail", public_id=screening.public_id)


# --- registration --------------------------------------------------------------------------


def _check_token(values: dict[str, Any]) -> str:
    """A keyed fingerprint of the cleaned values whose possible duplicates were shown."""
    payload = json.dumps({k: str(v) for k, v in sorted(values.items())}, ensure_ascii=False)
    return salted_hmac(_CHECK_SALT, payload, algorithm="sha256").hexdigest()


def _registration_fields(
    values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    fields = []
    for name in services.REGISTRATION_FIELDS:
        value = values.get(name, "")
        if isinstance(value, list):
            value = ", ".join(value)
        fields.append(
            {
                "name": name,
                "id": f"id_{name}",
                "label": FIELD_LABELS[name],
                "hint": FIELD_HINTS.get(name, ""),
                "value": "" if value is None else str(value),
                "errors": errors.get(name, []),
                **field_widget(name),
            }
        )
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def screening_register(request: HttpRequest, public_id: str) -> HttpResponse:
    """Register (or link) the screened person: possible existing records are shown first."""
    actor = _actor(request)
    try:
        screening = screening_for_actor(actor, public_id, "register")
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    if not actor.can(Perm.PERSON_CREATE):
        raise PermissionDenied
    if screening.person_id is not None:
        return redirect("screening:detail", public_id=screening.public_id)
    values: dict[str, Any] = {"primary_language": screening.interviewee_language}
    errors: dict[str, list[str]] = {}
    error_message = ""
    candidates: list[Candidate] | None = None
    token = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "check")
        if action == "link":
            try:
                person = services.screening_link_person(
                    actor=actor, screening=screening, person_id=request.POST.get("person", "")
                )
            except ApplicationError as exc:
                if exc.status != 400:
                    raise _page_error(exc) from exc
                return render(
                    request,
                    "screening/register.html",
                    {
                        "screening": screening,
                        "fields": _registration_fields(values, {}),
                        "errors": {},
                        "error_message": " ".join(str(m) for v in exc.fields.values() for m in v),
                        "candidates": None,
                        "checked": "",
                    },
                    status=400,
                )
            messages.success(
                request,
                _("The screening is linked to %(reference)s.") % {"reference": person.reference},
            )
            return redirect(_after_registration(actor, screening, person))
        values = {name: request.POST.get(name, "") for name in services.REGISTRATION_FIELDS}
        region = actor.organisation.country if actor.organisation else None
        try:
            cleaned = clean_person_input(values, default_region=region)
            token = _check_token(cleaned)
            checked = constant_time_compare(request.POST.get("checked", ""), token)
            if action == "create":
                person = services.screening_register_person(
                    actor=actor, screening=screening, data=values, duplicates_checked=checked
                )
                messages.success(request, _("Person registered."))
                return redirect(_after_registration(actor, screening, person))
            candidates = registration_candidates(
                actor=actor, values=cleaned, screening_id=str(screening.public_id)
            )
        except services.PossibleDuplicates as exc:
            # The refused write rolled back its audit of the comparison: the candidates shown
            # here are looked up (and their read recorded) again.
            candidates = registration_candidates(
                actor=actor, values=cleaned, screening_id=str(screening.public_id)
            )
            error_message = str(exc.message)
        except ApplicationError as exc:
            if exc.status != 400:
                raise _page_error(exc) from exc
            errors, error_message, status = _errors(exc), str(exc.message), 400
            token = ""
    return render(
        request,
        "screening/register.html",
        {
            "screening": screening,
            "fields": _registration_fields(values, errors),
            "errors": errors,
            "error_message": error_message,
            "candidates": candidates,
            "checked": token if candidates is not None else "",
        },
        status=status,
    )


def _after_registration(actor: Actor, screening: Any, person: Any) -> str:
    """Straight on to consent, asked at the end of the screening, in the person's language."""
    if not actor.can(Perm.CONSENT_RECORD):
        return reverse("screening:detail", args=[screening.public_id])
    query = urlencode(
        {
            "screening": str(screening.public_id),
            "next": reverse("screening:detail", args=[screening.public_id]),
            "language": screening.interviewee_language,
        }
    )
    return reverse("consent:person", args=[person.public_id]) + "?" + query
