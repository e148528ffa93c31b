"""The rules module: pure, explained in every language, JSON-ready."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from palermo.screening.instruments import LANGUAGES, get_instrument
from palermo.screening.rules import (
    ELEMENT_LABELS,
    OUTCOME_LABELS,
    STRENGTH_LABELS,
    TEMPLATES,
    ElementStatus,
    Outcome,
    assess,
)


def test_the_rules_and_instruments_modules_import_no_django() -> None:
    for name in ("rules.py", "instruments.py"):
        tree = ast.parse((Path(__file__).parents[1] / name).read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(module.startswith("django") for module in imported), name


def test_every_label_and_template_exists_in_every_language() -> None:
    for table in (TEMPLATES, OUTCOME_LABELS, ELEMENT_LABELS, STRENGTH_LABELS):
        for key, texts in table.items():
            assert set(texts) == set(LANGUAGES), key


def test_the_explanation_is_rendered_in_every_language_without_leftovers() -> None:
    instrument = get_instrument("unodc-general")
    cases = [
        {
            "age": 15,
            "q_activity": "sex_industry",
            "q_journey": ["housed_by_controller", "travel_arranged"],
        },
        {
            "q_journey": ["handed_over"],
            "q_work": ["work_against_will", "excessive_hours"],
            "q_freedom": [],
            "q_safety": [],
            "q_specific": [],
        },
        {"age": 30, "q_journey": "declined", "q_work": "declined", "q_freedom": "declined"},
        {
            "age": 30,
            "q_activity": "sex_industry",
            "q_journey": [],
            "q_work": [],
            "q_freedom": [],
            "q_safety": [],
            "q_specific": [],
            "q_observed": ["fear_anxiety"],
        },
    ]
    codes: set[str] = set()
    for answers in cases:
        result = assess(instrument, answers)
        for step in result.explanation:
            codes.add(step.code)
            for language in LANGUAGES:
                text = step.text(language)
                assert text and "{" not in text and "}" not in text, (step.code, language)
        # The Ukrainian trail is Ukrainian, not English.
        assert result.explain("uk") != result.explain("en")
        json.dumps(result.to_dict("pt"), ensure_ascii=False)
    assert {
        "age.child",
        "age.unknown",
        "coverage.insufficient",
        "context.not_alone",
        "dimension.weak_only",
        "element.unknown",
        "element.absent",
    } <= codes


def test_declined_is_not_no() -> None:
    instrument = get_instrument("ilo-forced-labour")
    base = {
        "age": 40,
        "q_found_work": "agency",
        "q_journey_arranged": "yes",
        "q_hours": 80,
        "q_can_refuse": "no",
        "q_housing": "own_home",
        "q_promises": "no",
        "q_pay": "as_agreed",
        "q_conditions": [],
        "q_contact": "yes",
        "q_no_choice": "no",
        "q_handed_over": "no",
    }
    means = ("q_documents", "q_debt", "q_free_to_go", "q_harmed", "q_threatened")
    answered_no = assess(
        instrument,
        {
            **base,
            "q_documents": "myself",
            "q_debt": "no",
            "q_free_to_go": "yes",
            "q_harmed": "no",
            "q_threatened": "no",
        },
    )
    declined = assess(instrument, {**base, **dict.fromkeys(means, "declined")})
    assert answered_no.outcome is Outcome.NOT_INDICATED
    assert declined.outcome is Outcome.INSUFFICIENT_INFORMATION
    assert declined.elements["means"].status is ElementStatus.UNKNOWN
    assert set(declined.elements["means"].could_be_established_by) == set(means)
    assert set(declined.declined) == set(means)


def test_prostitution_alone_names_no_exploitation_and_says_why() -> None:
    instrument = get_instrument("unodc-general")
    result = assess(
        instrument,
        {
            "age": 30,
            "q_activity": "sex_industry",
            "q_journey": [],
            "q_work": [],
            "q_freedom": [],
            "q_safety": [],
            "q_specific": [],
            "q_observed": [],
        },
    )
    assert result.outcome is Outcome.NOT_INDICATED
    assert result.indicators == () and result.exploitation_types == ()
    assert any(step.code == "context.not_alone" for step in result.explanation)
