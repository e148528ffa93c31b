"""The pure rules: schedules, the ladder plan, the ladder bounds, the system check, geolocation."""

from __future__ import annotations

import datetime

from django.core.checks import Error
from django.test import override_settings

from palermo.safetravel import geo, rules
from palermo.safetravel.checks import check_safe_travel_settings

UTC = datetime.UTC
DUE = datetime.datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
LADDER = rules.Ladder.from_minutes(rules.DEFAULT_LADDER_MINUTES)


def plan(now_minutes: float, stage: int = 0, shift: int = 0) -> rules.LadderPlan:
    return rules.plan_ladder(
        ladder=LADDER,
        episode_due_at=DUE,
        stage=stage,
        shift_seconds=shift,
        now=DUE + datetime.timedelta(minutes=now_minutes),
        stale_after=datetime.timedelta(minutes=15),
        outage_grace=datetime.timedelta(minutes=30),
    )


def test_the_default_ladder() -> None:
    assert [(k, at - DUE) for k, at in rules.step_times(LADDER, DUE)] == [
        ("reminder", datetime.timedelta(0)),
        ("second_reminder", datetime.timedelta(minutes=30)),
        ("contacts_alert", datetime.timedelta(hours=2)),
        ("urgent_alert", datetime.timedelta(hours=6)),
    ]


def test_a_trip_grace_moves_the_alerts() -> None:
    times = dict(rules.step_times(LADDER.for_grace(60), DUE))
    assert times["contacts_alert"] - DUE == datetime.timedelta(hours=1)
    assert times["urgent_alert"] - DUE == datetime.timedelta(hours=5)


def test_plans() -> None:
    assert plan(-1).send is None and plan(-1).next_at == DUE
    on_time = plan(1)
    assert on_time.send == "reminder" and on_time.stage == 1
    assert on_time.next_at == DUE + datetime.timedelta(minutes=30)
    late = plan(125)
    assert late.send == "contacts_alert" and late.stage == 3
    assert late.skipped == [("reminder", "superseded"), ("second_reminder", "superseded")]
    done = plan(365, stage=3)
    assert done.send == "urgent_alert" and done.next_at is None
    outage = plan(200, stage=1)
    assert outage.outage and outage.send is None
    assert outage.skipped == [("second_reminder", "stale")]
    assert outage.next_at == DUE + datetime.timedelta(minutes=230)


def test_next_fixed_time_across_dst() -> None:
    # Kyiv moves to summer time on 30 March 2025: 08:00 local is 06:00 UTC before, 05:00 after.
    after = datetime.datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    assert rules.next_fixed_time(["08:00"], "Europe/Kyiv", after) == datetime.datetime(
        2025, 3, 30, 5, 0, tzinfo=UTC
    )
    assert rules.next_fixed_time(["bad"], "Europe/Kyiv", after) is None


def test_ladder_bounds() -> None:
    assert rules.ladder_problems(rules.DEFAULT_LADDER_MINUTES) == []
    assert rules.ladder_problems({**rules.DEFAULT_LADDER_MINUTES, "urgent_alert": 100})
    assert rules.ladder_problems({**rules.DEFAULT_LADDER_MINUTES, "contacts_alert": 5000})
    assert rules.ladder_problems({"reminder": "0"})


def test_the_system_check_refuses_an_unsafe_ladder() -> None:
    with override_settings(
        PALERMO_TRAVEL_LADDER_MINUTES={**rules.DEFAULT_LADDER_MINUTES, "contacts_alert": 10},
        PALERMO_TRAVEL_HOTLINE_ORGANISATION="x",
    ):
        errors = [m for m in check_safe_travel_settings() if isinstance(m, Error)]
    assert [e.id for e in errors] == ["safetravel.E002", "safetravel.E002"]
    with override_settings(PALERMO_TRAVEL_STALE_AFTER_MINUTES=500):
        assert any(m.id == "safetravel.E003" for m in check_safe_travel_settings())
    assert not [m for m in check_safe_travel_settings() if isinstance(m, Error)]


def test_welfare() -> None:
    answers = rules.clean_welfare_answers(
        {"holds_passport": "no", "free_to_leave": "x", "other": "no"}
    )
    assert answers == {"holds_passport": "no"}
    assert rules.worrying_welfare(answers) == ["holds_passport"]


def test_offline_geolocation() -> None:
    place = geo.resolve("81.180.64.1")
    assert (place.country_code, place.city) == ("MD", "Chisinau")
    assert geo.resolve("81.180.64.1", "fr").country_name == "Moldavie"
    assert geo.resolve("10.0.0.1").label == "" and geo.resolve("not an ip").label == ""
