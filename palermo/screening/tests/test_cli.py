"""`palermo screening instruments` and `palermo screening assess`, through call_command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palermo.screening.instruments import all_instruments

TRAFFICKED = {
    "age": 34,
    "q_found_work": "agency",
    "q_journey_arranged": "yes",
    "q_housing": "provided_by_employer",
    "q_promises": "yes",
    "q_pay": "someone_else_keeps",
    "q_hours": 80,
    "q_conditions": ["no_food_rest"],
    "q_can_refuse": "no",
    "q_documents": "employer_or_recruiter",
    "q_debt": "yes",
    "q_free_to_go": "declined",
    "q_harmed": "declined",
    "q_threatened": "yes",
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("screening", *args, stdout=out)
    return out.getvalue()


def answers_file(tmp_path: Path, content: Any, *, raw: bool = False) -> str:
    path = tmp_path / "answers.json"
    path.write_text(content if raw else json.dumps(content), encoding="utf-8")
    return str(path)


def test_instruments_lists_ids_and_versions() -> None:
    output = run("instruments")
    for instrument in all_instruments().values():
        assert instrument.id in output and instrument.version in output
    listed = json.loads(run("instruments", "--json", "--language", "fr"))
    assert {row["id"] for row in listed} == set(all_instruments())
    assert (
        next(r for r in listed if r["id"] == "ilo-forced-labour")["title"]
        == "Indicateurs du travail forcé de l'OIT"
    )


def test_assess_prints_the_explained_assessment(tmp_path: Path) -> None:
    result = json.loads(
        run(
            "assess",
            "--instrument",
            "ilo-forced-labour",
            "--answers",
            answers_file(tmp_path, TRAFFICKED),
        )
    )
    assert result["outcome"] == "presumed_trafficked"
    assert result["instrument"] == {"id": "ilo-forced-labour", "version": "2012.1"}
    assert {e: v["status"] for e, v in result["elements"].items()} == {
        "act": "present",
        "means": "present",
        "purpose": "present",
    }
    assert "fl_debt_bondage" in result["elements"]["means"]["because"]
    debt = next(i for i in result["indicators"] if i["id"] == "fl_debt_bondage")
    assert debt["strength"] == "strong" and debt["raised_by"] == [
        {"question": "q_debt", "answer": "yes"}
    ]
    means = next(d for d in result["dimensions"] if d["id"] == "coercion_and_control")
    assert means["positive"] and means["strong"] == 2 and means["rule"] == "2 strong"
    codes = [step["code"] for step in result["explanation"]]
    assert codes[0] == "answers.summary" and codes[-1] == "outcome.presumed_trafficked"
    assert (
        "indicator.raised" in codes and "dimension.positive" in codes and "element.present" in codes
    )
    assert result["unanswered"]["declined"] == ["q_free_to_go", "q_harmed"]
    assert result["htcds_trafficking_status"] == "PossibleVictimOfTrafficking"


def test_assess_with_the_child_flag_and_another_language(tmp_path: Path) -> None:
    answers = dict(
        TRAFFICKED, q_documents="myself", q_debt="no", q_threatened="no", q_promises="no"
    )
    del answers["age"]
    path = answers_file(tmp_path, answers)
    adult = json.loads(
        run("assess", "--instrument", "ilo-forced-labour", "--answers", path, "--adult")
    )
    child = json.loads(
        run(
            "assess",
            "--instrument",
            "ilo-forced-labour",
            "--answers",
            path,
            "--child",
            "--language",
            "es",
        )
    )
    assert (
        adult["outcome"] == "insufficient_information"
    )  # means declined questions could establish them
    assert child["outcome"] == "presumed_trafficked" and child["child_rule_applied"] is True
    assert child["outcome_label"] == "presunta víctima de trata de personas"
    assert any("menor de edad" in step["message"] for step in child["explanation"])


@pytest.mark.parametrize(
    ("content", "raw", "message"),
    [
        ("{not json", True, "is not valid JSON"),
        ([1, 2], False, "must be a JSON object"),
        ({"q_nope": "yes"}, False, "q_nope: no such question"),
        ({"q_debt": "perhaps"}, False, "q_debt: expected 'yes' or 'no'"),
        ({"q_conditions": ["sunny"]}, False, "q_conditions: 'sunny' is not one of"),
    ],
)
def test_assess_refuses_bad_answers(tmp_path: Path, content: Any, raw: bool, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(
            "assess",
            "--instrument",
            "ilo-forced-labour",
            "--answers",
            answers_file(tmp_path, content, raw=raw),
        )


def test_assess_refuses_an_unknown_instrument_or_a_missing_file(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {})
    with pytest.raises(CommandError, match="unknown instrument 'nope'; known: border-interview"):
        run("assess", "--instrument", "nope", "--answers", path)
    with pytest.raises(CommandError, match="cannot read the answers file"):
        run(
            "assess",
            "--instrument",
            "ilo-forced-labour",
            "--answers",
            str(tmp_path / "missing.json"),
        )
