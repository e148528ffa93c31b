"""The directory's section on the case page: a "find a service" link and the best matches.

The best matches use the areas of need of the case's latest needs assessment (a few queries),
and only for an actor who may see the health group, where the case file puts the assessment;
using them is a read of that group, audited. Without them the section is the link alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse

from .access import can_read_directory
from .models import ServiceType

if TYPE_CHECKING:
    from django.http import HttpRequest

    from palermo.accounts.actors import Actor

TOP_MATCHES = 3


# The case file's areas of need (casefile.models.NeedArea) and the services that meet them.
NEED_SERVICE_TYPES = {
    "Accommodation": ServiceType.SHELTER,
    "Safety": ServiceType.SHELTER,
    "Medical": ServiceType.HEALTH,
    "Psychological": ServiceType.PSYCHOLOGICAL,
    "Legal": ServiceType.LEGAL,
    "Documents": ServiceType.LEGAL,
    "Interpretation": ServiceType.INTERPRETATION,
    "Financial": ServiceType.FINANCIAL,
    "Education": ServiceType.EDUCATION,
    "Livelihood": ServiceType.LIVELIHOOD,
    "Family": ServiceType.SOCIAL_CARE,
}


def recorded_needs(actor: Actor, case: Any) -> frozenset[str]:
    """The service types the case's latest needs assessment calls for (level above none).

    Empty when there is no assessment, or when the actor may not see the health group.
    """
    try:
        from palermo.casefile.access import casefile_groups
        from palermo.casefile.models import NeedRating, NeedsAssessment
    except ImportError:  # the case file is not installed
        return frozenset()
    from palermo.audit.services import audit_read

    # The case file's own rule for its groups (role, consent, referral narrowing).
    if "health" not in casefile_groups(actor, case):
        return frozenset()
    from palermo.casefile.selectors import LATEST_ASSESSMENT_KEY

    if LATEST_ASSESSMENT_KEY in case.__dict__:  # the case page's health section read it
        loaded = case.__dict__[LATEST_ASSESSMENT_KEY]
        needs = loaded.needs.all() if loaded is not None else []
        areas = {n.area for n in needs if n.level != "none"}
    else:
        latest = NeedsAssessment.objects.filter(case=case).order_by("-version").values("pk")[:1]
        areas = set(
            NeedRating.objects.filter(assessment__in=latest)
            .exclude(level="none")
            .values_list("area", flat=True)
        )
    if not areas:
        return frozenset()
    audit_read(
        actor=actor,
        object_type="case",
        object_id=str(case.public_id),
        field_groups=["health"],
        details={"use": "directory.match", "needs": sorted(areas)},
        subject_organisation=case.owner_organisation,
    )
    return frozenset(str(NEED_SERVICE_TYPES[a]) for a in areas if a in NEED_SERVICE_TYPES)


def section_context(request: HttpRequest, actor: Actor, case: Any) -> dict[str, Any] | None:
    if not can_read_directory(actor):
        return None
    from . import selectors
    from .views import refer_url

    match_url = reverse("directory:match", args=[case.public_id])
    top: list[dict[str, Any]] = []
    needs = recorded_needs(actor, case)
    if needs:
        query = "&".join(f"needs={n}" for n in sorted(needs))
        match_url = f"{match_url}?submitted=1&{query}"
        outcome = selectors.match_services(
            actor=actor,
            facts=selectors.person_facts(actor, case),
            wanted=selectors.MatchInput(service_types=needs, country=selectors.case_country(case)),
            limit=TOP_MATCHES,
        )
        top = [
            {"row": r, "refer_url": refer_url(case.public_id, r.service)} for r in outcome.ranked
        ]
    return {"match_url": match_url, "top": top}
