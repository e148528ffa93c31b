"""The golden table: hand-worked scenarios (tests/data/golden_scenarios.yaml) against the rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from palermo.screening.instruments import get_instrument
from palermo.screening.rules import assess

SCENARIOS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "golden_scenarios.yaml").read_text(encoding="utf-8")
)


def test_the_table_covers_what_the_issue_asks_for() -> None:
    assert len(SCENARIOS) >= 30
    names = " ".join(s["name"] for s in SCENARIOS)
    for topic in ("child", "adult", "labour", "sex", "marriage", "organ", "begging", "declined"):
        assert topic in names, topic
    outcomes = Counter(s["expected"]["outcome"] for s in SCENARIOS)
    assert set(outcomes) == {"presumed_trafficked", "not_indicated", "insufficient_information"}
    children = [s for s in SCENARIOS if s["expected"].get("child_rule_applied")]
    assert len(children) >= 8
    assert len({s["name"] for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_golden_scenario(scenario: dict[str, Any]) -> None:
    instrument = get_instrument(scenario["instrument"])
    result = assess(instrument, scenario["answers"], is_child=scenario.get("is_child"))
    expected = scenario["expected"]
    explanation = "\n".join(result.explain())

    assert result.outcome.value == expected["outcome"], explanation
    for element, status in expected["elements"].items():
        assert result.elements[element].status.value == status, (element, explanation)
    if "child_rule_applied" in expected:
        assert result.child_rule_applied is expected["child_rule_applied"]
    if "age_group" in expected:
        assert result.age_group.value == expected["age_group"]
    for key in ("outcome_if_adult", "outcome_if_child"):
        if key in expected:
            assert getattr(result, key).value == expected[key]
    assert set(expected.get("exploitation_types_include", [])) <= set(result.exploitation_types)
    assert not set(expected.get("exploitation_types_exclude", [])) & set(result.exploitation_types)
    assert set(expected.get("control_methods_include", [])) <= set(result.control_methods)

    # Every present element names the indicators that made it, and each was raised by an answer.
    raised = {indicator.id: indicator for indicator in result.indicators}
    for element_result in result.elements.values():
        if element_result.status.value == "present":
            assert element_result.because
            for indicator_id in element_result.because:
                assert raised[indicator_id].raised_by
    # The trail ends with the outcome.
    assert result.explanation[-1].code == f"outcome.{result.outcome.value}"
