"""Demo case files: nothing without cases; deterministic content for each demo case; reset."""

from __future__ import annotations

from typing import Any

import pytest

from palermo.accounts.models import Organisation
from palermo.accounts.roles import Role
from palermo.casefile import demo
from palermo.casefile.models import (
    CarePlanItem,
    CaseDocument,
    CaseNote,
    NeedsAssessment,
    Perpetrator,
    TraffickingEvent,
)
from palermo.demo.loader import DemoContext
from palermo.testing import OrganisationFactory, member

from .conftest import open_case

pytestmark = pytest.mark.django_db(transaction=True)


def context(organisation: Organisation, seed: int = 2000) -> DemoContext:
    return DemoContext(seed, 300, {"shelter": organisation}, {}, None)


def plaintexts() -> list[Any]:
    return [
        sorted(n.text for n in CaseNote.objects.all()),
        sorted(
            (e.kind, e.country, e.locality, e.date_from) for e in TraffickingEvent.objects.all()
        ),
        sorted((i.support_type, i.objective, i.status) for i in CarePlanItem.objects.all()),
        sorted(p.name or "" for p in Perpetrator.objects.all()),
    ]


def test_nothing_to_do_without_cases() -> None:
    shelter = OrganisationFactory(name="Casa Speranței Shelter", country="MD")
    assert demo.load_demo(context(shelter)) == {}
    assert NeedsAssessment.objects.count() == 0


def test_each_case_gets_a_deterministic_case_file_and_reset_removes_it() -> None:
    shelter: Organisation = OrganisationFactory(name="Casa Speranței Shelter", country="MD")
    worker = member(Role.CASE_WORKER, shelter)
    cases = [open_case(worker) for _ in range(3)]
    counts = demo.load_demo(context(shelter))
    assert counts["casefile_cases"] == 3 and counts["documents"] == 3
    for case in cases:
        assert case.assessments.exists() and case.care_plan.exists()
        assert case.trafficking_events.count() == 3
        assert {e.kind for e in case.trafficking_events.all()} == {
            "Recruitment",
            "Transit",
            "Exploitation",
        }
        assert case.notes.exists() and case.perpetrators.exists()
    first = plaintexts()
    again = demo.load_demo(context(shelter))
    assert again == counts
    assert plaintexts() == first  # replaced, not added to; the same content
    document = CaseDocument.objects.first()
    assert document is not None
    assert demo.documents.load(document.storage_name).startswith(b"Declaration (demo)")
    demo.reset_demo()
    assert CaseNote.objects.count() == 0 and CaseDocument.objects.count() == 0
    assert NeedsAssessment.objects.count() == 0 and TraffickingEvent.objects.count() == 0
