"""Consent pages: a person's decisions in force, their history, and the forms to change them.

Thin: the services validate and write, the selectors read and audit. Every form works as a
plain POST and redirect; a refused form is shown again with status 400 and its messages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import ApplicationError, Forbidden, NotFound

from . import access, selectors, services
from .models import (
    CONSENT_PURPOSE_HINTS,
    CONSENT_PURPOSE_LABELS,
    GIVEN_BY_LABELS,
    ConsentSource,
    LegalBasisKind,
)
from .rules import LEGAL_BASIS_PURPOSES, ConsentPurpose, GivenBy

_FORM_FIELDS = ("language", "given_by", "guardian_name", "decided_by", "reason")


def _actor(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None or actor.organisation is None:
        raise Http404
    if not (actor.can(Perm.CONSENT_RECORD) or actor.can(Perm.CONSENT_OVERRIDE)):
        raise Http404
    return actor


def _page_error(exc: ApplicationError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, Forbidden) or exc.status == 403:
        return PermissionDenied()
    return exc


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _screening_reference(request: HttpRequest) -> str:
    """The screening at whose end consent is asked (its public id), if the link carried one."""
    value = (request.POST.get("screening") or request.GET.get("screening") or "").strip()
    try:
        return str(access.public_key(value)) if value else ""
    except NotFound:
        return ""


def _default_language(request: HttpRequest, person_language: str) -> str:
    asked = (request.GET.get("language") or "").strip().lower()
    if asked.isascii() and asked.isalpha() and 2 <= len(asked) <= 3:
        return asked
    return person_language or (get_language() or "en")[:2]


def _record_form_values(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {name: request.POST.get(name, "") for name in _FORM_FIELDS}
    data["referral_organisation"] = request.POST.get("referral_organisation", "")
    data["referral_external"] = request.POST.get("referral_external", "")
    data["decisions"] = {str(p): request.POST.get(f"decision_{p}", "") for p in ConsentPurpose}
    return data


def _render(
    request: HttpRequest,
    actor: Actor,
    public_id: str,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    error_message: str = "",
    legal_form: dict[str, Any] | None = None,
    legal_errors: dict[str, list[str]] | None = None,
    withdraw_errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        page = selectors.consent_page(actor=actor, public_id=public_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    person = page.summary.person
    form = form or {
        "language": _default_language(request, person.primary_language),
        "given_by": str(GivenBy.GUARDIAN if page.summary.presumed_child else GivenBy.PERSON),
        "decisions": {},
    }
    errors = errors or {}
    purposes = [
        {
            "value": str(p),
            "label": CONSENT_PURPOSE_LABELS[p],
            "hint": CONSENT_PURPOSE_HINTS[p],
            "chosen": form.get("decisions", {}).get(str(p), ""),
            "errors": errors.get(f"decision_{p}", []),
        }
        for p in ConsentPurpose
    ]
    context = {
        "page": page,
        "person": person,
        "form": form,
        "errors": errors,
        "error_message": error_message,
        "purposes": purposes,
        "given_by_choices": [(str(g), GIVEN_BY_LABELS[g]) for g in GivenBy],
        "legal_form": legal_form or {},
        "legal_errors": legal_errors or {},
        # Withdrawal and revocation forms are small: their messages go to the summary on top.
        "other_errors": [str(m) for v in (withdraw_errors or {}).values() for m in v],
        "legal_purposes": [
            (str(p), CONSENT_PURPOSE_LABELS[p]) for p in ConsentPurpose if p in LEGAL_BASIS_PURPOSES
        ],
        "legal_kinds": LegalBasisKind.choices,
        "next": _safe_next(request),
        "screening": _screening_reference(request),
        "default_language": _default_language(request, person.primary_language),
    }
    return render(request, "consent/person_consent.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def person_consent(request: HttpRequest, public_id: str) -> HttpResponse:
    """The person's consent page; a POST records the decisions of the form."""
    actor = _actor(request)
    if request.method != "POST":
        return _render(request, actor, public_id)
    try:
        person = access.person_for_consent(actor, public_id, Perm.CONSENT_RECORD)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    data = _record_form_values(request)
    screening = _screening_reference(request)
    try:
        services.consent_record(
            actor=actor,
            person=person,
            data=data,
            source=ConsentSource.SCREENING if screening else ConsentSource.PERSON_PAGE,
            source_reference=screening,
        )
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return _render(
            request,
            actor,
            public_id,
            form=data,
            errors={k: [str(m) for m in v] for k, v in exc.fields.items()},
            error_message=str(exc.message),
            status=400,
        )
    messages.success(request, _("Consent recorded."))
    return redirect(_safe_next(request) or reverse("consent:person", args=[person.public_id]))


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        person = access.person_for_consent(actor, public_id, Perm.CONSENT_RECORD)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    data = {
        name: request.POST.get(name, "")
        for name in (
            "purpose",
            "organisation",
            "external_receiver",
            "given_by",
            "language",
            "reason",
        )
    }
    try:
        services.consent_withdraw(actor=actor, person=person, data=data)
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return _render(
            request,
            actor,
            public_id,
            withdraw_errors={k: [str(m) for m in v] for k, v in exc.fields.items()},
            error_message=str(exc.message),
            status=400,
        )
    messages.success(
        request, _("The withdrawal is recorded. The history keeps the earlier decision.")
    )
    return redirect("consent:person", public_id=person.public_id)


@login_required
@require_POST
def legal_basis_create(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        person = access.person_for_consent(actor, public_id, Perm.CONSENT_OVERRIDE)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    data = {
        name: request.POST.get(name, "")
        for name in ("purpose", "kind", "reference", "reason", "organisation", "valid_until")
    }
    try:
        services.legal_basis_record(actor=actor, person=person, data=data)
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return _render(
            request,
            actor,
            public_id,
            legal_form=data,
            legal_errors={k: [str(m) for m in v] for k, v in exc.fields.items()},
            error_message=str(exc.message),
            status=400,
        )
    messages.success(request, _("Legal basis recorded."))
    return redirect("consent:person", public_id=person.public_id)


@login_required
@require_POST
def legal_basis_revoke(request: HttpRequest, basis_id: str) -> HttpResponse:
    actor = _actor(request)
    try:
        basis = access.legal_basis_for_actor(actor, basis_id)
    except ApplicationError as exc:
        raise _page_error(exc) from exc
    person_id = str(basis.person.public_id)
    try:
        services.legal_basis_revoke(
            actor=actor, basis=basis, data={"reason": request.POST.get("reason", "")}
        )
    except ApplicationError as exc:
        if exc.status != 400:
            raise _page_error(exc) from exc
        return _render(
            request,
            actor,
            person_id,
            withdraw_errors={k: [str(m) for m in v] for k, v in exc.fields.items()},
            error_message=str(exc.message),
            status=400,
        )
    messages.success(request, _("Legal basis revoked."))
    return redirect("consent:person", public_id=person_id)
