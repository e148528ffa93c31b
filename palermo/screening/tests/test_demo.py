"""The demo's screenings: real outcomes of generated answers, consents, reviews, statuses."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command

from palermo.consent.models import ConsentRecord, LegalBasis
from palermo.screening import instruments as catalogue
from palermo.screening.models import Screening, ScreeningReview, ScreeningStatus, VictimStatus
from palermo.screening.rules import assess

pytestmark = pytest.mark.django_db


def demo_data(*args: str) -> None:
    call_command("demo-data", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_demo_has_screenings_with_consents_and_reviews() -> None:
    demo_data("--size", "300")
    screenings = list(Screening.objects.select_related("person"))
    assert 30 <= len(screenings) <= 150
    outcomes = Counter(s.outcome for s in screenings)
    assert set(outcomes) == {"presumed_trafficked", "not_indicated", "insufficient_information"}
    for screening in screenings[:40]:
        # The outcome stored is what the rules make of the stored answers.
        instrument = catalogue.all_instruments()[screening.instrument_id]
        is_child = {"child": True, "adult": False}.get(screening.age_group)
        expected = assess(instrument, screening.answers, is_child=is_child)
        assert screening.outcome == expected.outcome.value
        assert screening.assessment["explanation"]
    decisions = Counter((r.purpose, r.decision) for r in ConsentRecord.objects.all())
    assert decisions[("assistance", "given")] and decisions[("law_enforcement", "refused")]
    assert ConsentRecord.objects.filter(given_by="best_interest").exists()
    reviewed = Screening.objects.filter(status=ScreeningStatus.REVIEWED)
    assert reviewed.exists() and ScreeningReview.objects.count() == reviewed.count()
    assert VictimStatus.objects.exists()
    assert {s.trafficking_status for s in VictimStatus.objects.all()} <= {
        "PossibleVictimOfTrafficking",
        "NotAVictimOfTrafficking",
    }
    counts = (Screening.objects.count(), ConsentRecord.objects.count(), LegalBasis.objects.count())

    # Loading again with --reset removes them first and makes the same again.
    demo_data("--size", "300", "--reset")
    assert (
        Screening.objects.count(),
        ConsentRecord.objects.count(),
        LegalBasis.objects.count(),
    ) == counts
