"""The directory's section on the case page, and the needs it takes from the case file."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.cases.sections import case_sections
from palermo.directory.models import Provider, Service
from palermo.testing import actor_for

from .conftest import make_service, open_case

pytestmark = pytest.mark.django_db


def _assess(case: object, membership: Membership, **levels: str) -> None:
    from palermo.casefile.models import NeedRating, NeedsAssessment

    assessment = NeedsAssessment.objects.create(
        case=case,
        version=NeedsAssessment.objects.filter(case=case).count() + 1,
        assessed_on=timezone.localdate() - datetime.timedelta(days=1),
        assessor_organisation=membership.organisation,
        created_at=timezone.now(),
    )
    for area, level in levels.items():
        NeedRating.objects.create(assessment=assessment, area=area, level=level)


def _section_context(membership: Membership, case: object) -> dict | None:  # type: ignore[type-arg]
    section = next(s for s in case_sections() if s.name == "directory")
    request = RequestFactory().get("/")
    return section.context(request, actor_for(membership), case)  # type: ignore[arg-type]


def test_the_section_links_to_matching_and_shows_the_top_three(
    caseworker: Membership, women_shelter: Service, shelter_provider: Provider
) -> None:
    case = open_case(caseworker)
    context = _section_context(caseworker, case)
    assert context is not None
    assert context["match_url"] == f"/directory/match/{case.public_id}/" and context["top"] == []
    for n in range(4):
        make_service(shelter_provider, service_type="Health", description=f"clinic {n}")
    _assess(case, caseworker, Accommodation="high", Medical="medium", Legal="none")
    _assess(case, caseworker, Accommodation="high", Medical="medium", Legal="none")
    context = _section_context(caseworker, case)
    assert context is not None
    assert len(context["top"]) == 3
    assert {item["row"].service.service_type for item in context["top"]} <= {"Shelter", "Health"}
    assert "needs=Health" in context["match_url"] and "needs=Shelter" in context["match_url"]
    assert "needs=Legal" not in context["match_url"]
    event = AuditEvent.objects.filter(action="case.read").last()
    assert event is not None and event.field_groups == ["health"]
    html = render_to_string("directory/case_section.html", context)
    assert f"/directory/services/{context['top'][0]['row'].service.public_id}/" in html


def test_the_match_page_ticks_the_assessed_needs(
    caseworker: Membership, caseworker_client: Client, women_shelter: Service
) -> None:
    case = open_case(caseworker)
    _assess(case, caseworker, Psychological="low")
    response = caseworker_client.get(f"/directory/match/{case.public_id}/")
    assert response.status_code == 200
    assert b'value="Psychological" checked' in response.content
    assert b'value="Shelter" checked' not in response.content


def test_no_section_for_roles_without_the_directory(women_shelter: Service) -> None:
    from palermo.accounts.roles import Role
    from palermo.testing import member

    researcher = member(Role.RESEARCHER)
    case_owner = member(Role.CASE_WORKER, researcher.organisation)
    case = open_case(case_owner)
    assert _section_context(researcher, case) is None
