"""The case file's sections on the case page (registered in apps.py) and on its own overview.

Each context function gets a case the caller already sees (the case page got it through
`case_for_actor`), works out which field groups the actor sees of the person, and returns
None when the section's group is withheld: the section is then simply absent. One more
section says, in one line, that some information is not shown, when that is so. Every
summary shown is audited as a read of its group (in `selectors`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.cases.models import Case

from . import selectors
from .access import CaseFile, casefile_of
from .field_groups import Section
from .models import CarePlanStatus, DocumentType

SECTIONS: tuple[tuple[str, str, int], ...] = (
    ("casefile_health", "casefile/sections/health.html", 40),
    ("casefile_narrative", "casefile/sections/narrative.html", 50),
    ("casefile_legal", "casefile/sections/legal.html", 60),
    ("casefile_documents", "casefile/sections/documents.html", 70),
    ("casefile_withheld", "casefile/sections/withheld.html", 79),
)


def _url(name: str, casefile: CaseFile) -> str:
    return reverse(f"casefile:{name}", kwargs={"case_id": casefile.public_id})


def _casefile(request: HttpRequest, actor: Actor, case: Case) -> CaseFile:
    # The case page calls every section: compute the groups once per request and case.
    cache: dict[int, CaseFile] = request.__dict__.setdefault("_casefile_cache", {})
    if case.pk not in cache:
        cache[case.pk] = casefile_of(actor, case)
    return cache[case.pk]


def health_context(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    casefile = _casefile(request, actor, case)
    if not casefile.sees(Section.NEEDS):
        return None
    summary = selectors.health_summary(casefile)
    statuses = dict(CarePlanStatus.choices)
    return {
        "casefile_health": {
            "summary": summary,
            "by_status": [(statuses[s], n) for s, n in summary.by_status.items()],
            "needs_url": _url("needs", casefile),
            "care_plan_url": _url("care_plan", casefile),
            "can_assess": casefile.may_write(Section.NEEDS),
            "can_plan": casefile.may_write(Section.CARE_PLAN),
            "new_assessment_url": _url("needs_new", casefile),
        }
    }


def narrative_context(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    casefile = _casefile(request, actor, case)
    if not casefile.sees(Section.NOTES):
        return None
    return {
        "casefile_narrative": {
            "summary": selectors.narrative_summary(casefile),
            "notes_url": _url("notes", casefile),
            "events_url": _url("events", casefile),
        }
    }


def legal_context(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    casefile = _casefile(request, actor, case)
    if not casefile.sees(Section.PERPETRATORS):
        return None
    return {
        "casefile_legal": {
            "perpetrators": selectors.perpetrator_summary(casefile),
            "perpetrators_url": _url("perpetrators", casefile),
        }
    }


def documents_context(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    casefile = _casefile(request, actor, case)
    if not casefile.sees(Section.DOCUMENTS):
        return None
    counts = selectors.document_summary(casefile)
    labels = dict(DocumentType.choices)
    return {
        "casefile_documents": {
            "counts": [(labels[t], counts.get(t, 0)) for t in casefile.document_types()],
            "total": sum(counts.values()),
            "documents_url": _url("documents", casefile),
        }
    }


def withheld_context(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    casefile = _casefile(request, actor, case)
    if not casefile.withheld_sections():
        return None
    if casefile.owner:
        message = _(
            "Some parts of this case file are not shown to you: your role, or the person's "
            "consent for your purpose, does not cover them."
        )
    else:
        message = _("Some information in this case file is not shared with your organisation.")
    return {"casefile_withheld": {"message": message}}


CONTEXTS = {
    "casefile_health": health_context,
    "casefile_narrative": narrative_context,
    "casefile_legal": legal_context,
    "casefile_documents": documents_context,
    "casefile_withheld": withheld_context,
}


def register() -> None:
    """Add the case file's sections to the case page (from AppConfig.ready)."""
    from palermo.cases.sections import register_case_section

    for name, template, order in SECTIONS:
        register_case_section(name, template, CONTEXTS[name], order)
