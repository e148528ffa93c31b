"""The instrument files and their loader: complete translations, precise refusals, answer checks."""

# The example instrument keeps one YAML item per line, longer than the usual width.
# ruff: noqa: E501

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from palermo.screening.instruments import (
    DECLINED,
    INSTRUMENTS_DIR,
    LANGUAGES,
    NOT_ASKED,
    AnswerError,
    AnswerType,
    Element,
    InstrumentError,
    all_instruments,
    get_instrument,
    instrument_files,
    load_instrument,
    load_instruments,
    parse_instrument,
)

SHIPPED = list(instrument_files())

# A small valid instrument; each malformation below edits one line of it.
VALID = """\
id: mini
version: '1'
title: {en: Mini, uk: Міні, ro: Mini, es: Mini, pt: Mini, fr: Mini}
population: any
exploitation_scope: any
decision:
  thresholds:
    - {strong: 1}
    - {medium: 2}
  max_unanswered_key_share: 0.5
  age_question: age
dimensions:
  - {id: d_act, element: act, label: {en: A, uk: A, ro: A, es: A, pt: A, fr: A}}
  - {id: d_means, element: means, label: {en: M, uk: M, ro: M, es: M, pt: M, fr: M}}
  - {id: d_purpose, element: purpose, label: {en: P, uk: P, ro: P, es: P, pt: P, fr: P}}
indicators:
  - {id: i_act, strength: strong, dimension: d_act, label: {en: A, uk: A, ro: A, es: A, pt: A, fr: A}}
  - {id: i_means, strength: medium, dimension: d_means, label: {en: M, uk: M, ro: M, es: M, pt: M, fr: M}}
  - {id: i_purpose, strength: weak, dimension: d_purpose, label: {en: P, uk: P, ro: P, es: P, pt: P, fr: P}}
groups:
  - id: g
    title: {en: G, uk: G, ro: G, es: G, pt: G, fr: G}
    questions:
      - id: age
        answer_type: number
        minimum: 0
        maximum: 120
        text: {en: Age, uk: Вік, ro: Vârsta, es: Edad, pt: Idade, fr: Âge}
      - id: q_act
        key: true
        answer_type: yes_no
        text: {en: Q, uk: Q, ro: Q, es: Q, pt: Q, fr: Q}
        raises:
          - when: [yes]
            indicators: [i_act]
      - id: q_pick
        answer_type: multi_choice
        text: {en: Q, uk: Q, ro: Q, es: Q, pt: Q, fr: Q}
        options:
          - {value: a, raises: [i_means], label: {en: a, uk: a, ro: a, es: a, pt: a, fr: a}}
          - {value: b, raises: [i_purpose], label: {en: b, uk: b, ro: b, es: b, pt: b, fr: b}}
"""


def _line_of(text: str, fragment: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_the_valid_example_loads_and_yes_stays_a_string() -> None:
    instrument = parse_instrument(VALID, "mini.yaml")
    assert instrument.question("q_act").raises[0].when == ("yes",)
    assert [o.value for o in instrument.question("q_act").options] == ["yes", "no"]
    assert instrument.indicator("i_means").element is Element.MEANS


# (description, replace this, with that, the line to blame (a fragment of it), reason pattern)
MALFORMATIONS = [
    ("YAML syntax", "  age_question: age", "  age_question: [age", "age_question", r"invalid YAML"),
    (
        "duplicate key",
        "exploitation_scope: any",
        "exploitation_scope: any\nexploitation_scope: labour",
        "exploitation_scope: labour",
        r"duplicate key 'exploitation_scope'",
    ),
    (
        "missing translation",
        "{en: Q, uk: Q, ro: Q, es: Q, pt: Q, fr: Q}\n        raises:",
        "{en: Q, uk: Q, es: Q}\n        raises:",
        "{en: Q, uk: Q, es: Q}",
        r"groups\[0\]\.questions\[1\]\.text: missing translation\(s\): ro, pt, fr",
    ),
    (
        "unknown language",
        "title: {en: Mini, uk: Міні,",
        "title: {en: Mini, ua: Міні, uk: Міні,",
        "title:",
        r"title: unknown language\(s\) ua",
    ),
    (
        "unknown dimension",
        "{id: i_means, strength: medium, dimension: d_means,",
        "{id: i_means, strength: medium, dimension: d_coercion,",
        "i_means, strength",
        r"indicators\[1\]\.dimension: unknown dimension 'd_coercion'",
    ),
    (
        "weak-only threshold",
        "    - {medium: 2}",
        "    - {weak: 3}",
        "{weak: 3}",
        r"decision\.thresholds\[1\]: a threshold must require at least one strong or medium",
    ),
    (
        "bad answer type",
        "        answer_type: yes_no",
        "        answer_type: boolean",
        "answer_type: boolean",
        r"groups\[0\]\.questions\[1\]\.answer_type: Input should be 'yes_no'",
    ),
    (
        "unknown indicator in a mapping",
        "            indicators: [i_act]",
        "            indicators: [i_axt]",
        "indicators: [i_axt]",
        r"unknown indicator 'i_axt'",
    ),
    (
        "answer value not offered",
        "          - when: [yes]",
        "          - when: [maybe]",
        "when: [maybe]",
        r"'maybe' is not an answer of this question",
    ),
    (
        "version as a number",
        "version: '1'",
        "version: 1.0",
        "version: 1.0",
        r"version: Input should be a valid string",
    ),
    (
        "unknown field",
        "population: any",
        "population: any\ncolour: blue",
        "colour: blue",
        r"colour: Extra inputs are not permitted",
    ),
    (
        "missing required field",
        "exploitation_scope: any\n",
        "",
        "id: mini",
        r"exploitation_scope: Field required",
    ),
    (
        "indicator never raised",
        "          - {value: b, raises: [i_purpose],",
        "          - {value: b,",
        "{id: i_purpose",
        r"indicator 'i_purpose' is not raised by any question",
    ),
    (
        "options on a yes/no question",
        "        answer_type: yes_no\n",
        "        answer_type: yes_no\n        options: [{value: x, label: {en: x, uk: x, ro: x, es: x, pt: x, fr: x}}]\n",
        "options: [{value: x",
        r"takes no options",
    ),
    (
        "age question not a number",
        "  age_question: age",
        "  age_question: q_act",
        "age_question: q_act",
        r"question 'q_act' must have answer_type number",
    ),
    (
        "an element without a dimension",
        "  - {id: d_purpose, element: purpose,",
        "  - {id: d_purpose, element: means,",
        "dimensions:",
        r"no dimension establishes the element 'purpose'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "blamed", "reason"),
    [m[1:] for m in MALFORMATIONS],
    ids=[m[0] for m in MALFORMATIONS],
)
def test_a_malformed_file_is_refused_with_file_line_and_reason(
    tmp_path: Path, old: str, new: str, blamed: str, reason: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    error = caught.value
    assert error.file == str(path)
    assert error.line == _line_of(text, blamed), str(error)
    assert re.search(reason, error.reason), error.reason
    assert str(error).startswith(f"{path}:{error.line}: ")


def test_an_unreadable_or_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="cannot read the file"):
        load_instrument(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InstrumentError, match="the file is empty"):
        load_instrument(empty)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="is a mapping"):
        load_instrument(scalar)


def test_two_files_with_one_id_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID, encoding="utf-8")
    with pytest.raises(InstrumentError, match="instrument id 'mini' is also used by"):
        load_instruments(tmp_path)


def test_the_shipped_instruments() -> None:
    instruments = all_instruments()
    assert set(instruments) == {
        "ilo-forced-labour",
        "ilo-ec-adult-labour",
        "ilo-ec-adult-sexual",
        "ilo-ec-child-labour",
        "ilo-ec-child-sexual",
        "unodc-general",
        "border-interview",
    }
    assert all(i.version for i in instruments.values())
    # The ILO forced-labour set carries the eleven ILO indicators.
    forced = {i.id for i in get_instrument("ilo-forced-labour").indicators}
    assert {
        "fl_abuse_of_vulnerability",
        "fl_deception",
        "fl_restriction_of_movement",
        "fl_isolation",
        "fl_physical_sexual_violence",
        "fl_intimidation_threats",
        "fl_retention_of_documents",
        "fl_withholding_of_wages",
        "fl_debt_bondage",
        "fl_abusive_conditions",
        "fl_excessive_overtime",
    } <= forced
    # The ILO–EC adult labour set: 67 indicators in six dimensions (10, 10, 16, 9, 15, 7).
    ilo_ec = get_instrument("ilo-ec-adult-labour")
    counts = [sum(1 for i in ilo_ec.indicators if i.dimension == d.id) for d in ilo_ec.dimensions]
    assert counts == [10, 10, 16, 9, 15, 7]
    assert ilo_ec.indicator("dr_nature_job").strength == "strong"
    assert ilo_ec.indicator("cd_threat_inform").strength == "weak"
    # The border interview checks an adult travelling with a child.
    border = get_instrument("border-interview")
    assert {"q_child_birth_certificate", "q_child_relationship", "q_child_relatives"} <= set(
        border.questions
    )


def _texts(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every translation mapping in a raw YAML tree (a mapping whose keys include "en")."""
    found = []
    if isinstance(node, dict):
        if "en" in node:
            found.append((path, node))
        else:
            for key, value in node.items():
                found.extend(_texts(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_texts(value, f"{path}[{index}]"))
    return found


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_text_of_every_shipped_file_is_in_all_six_languages(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = _texts(raw)
    assert len(texts) > 20
    for where, text in texts:
        assert set(text) == set(LANGUAGES), where
        for language in LANGUAGES:
            assert isinstance(text[language], str) and text[language].strip(), (where, language)
    # And through the loaded dataclasses: every question, option, help, indicator and dimension.
    instrument = load_instrument(path)
    loaded = [instrument.title]
    loaded += [d.label for d in instrument.dimensions] + [i.label for i in instrument.indicators]
    for group in instrument.groups:
        loaded.append(group.title)
        for question in group.questions:
            loaded.append(question.text)
            if question.help:
                loaded.append(question.help)
            loaded += [option.label for option in question.options]
    for text in loaded:
        assert all(text.get(language, "").strip() for language in LANGUAGES), text
    # Translations are translations: non-English texts are not all copies of the English.
    differing = sum(1 for text in loaded if text["uk"] != text["en"])
    assert differing > 0.9 * len(loaded)


def test_answers_are_checked() -> None:
    instrument = get_instrument("ilo-forced-labour")
    checked = instrument.check_answers(
        {"q_debt": True, "q_conditions": ["no_medical", "dangerous"], "q_hours": "61", "age": None}
    )
    assert checked["q_debt"] == "yes"
    assert checked["q_conditions"] == ("dangerous", "no_medical")  # option order
    assert checked["q_hours"] == 61
    assert checked["age"] == NOT_ASKED and checked["q_harmed"] == NOT_ASKED
    assert instrument.check_answers({"q_harmed": "declined"})["q_harmed"] == DECLINED
    bad = [
        ({"q_nothing": "yes"}, "q_nothing", "no such question"),
        ({"q_debt": "maybe"}, "q_debt", "expected 'yes' or 'no'"),
        ({"q_pay": "lots"}, "q_pay", "is not one of"),
        ({"q_conditions": "dangerous"}, "q_conditions", "expected a list"),
        ({"q_conditions": ["flying"]}, "q_conditions", "is not one of"),
        ({"q_hours": 200}, "q_hours", "above the maximum 168"),
        ({"q_hours": "many"}, "q_hours", "expected a number"),
        ({"age": -1}, "age", "below the minimum 0"),
    ]
    for answers, question_id, reason in bad:
        with pytest.raises(AnswerError) as caught:
            instrument.check_answers(answers)
        assert caught.value.question_id == question_id
        assert reason in caught.value.reason


def test_every_answer_type_is_used_and_yes_no_has_standard_labels() -> None:
    types = {q.answer_type for i in all_instruments().values() for q in i.questions.values()}
    assert {
        AnswerType.YES_NO,
        AnswerType.CHOICE,
        AnswerType.MULTI_CHOICE,
        AnswerType.NUMBER,
    } <= types
    question = get_instrument("ilo-forced-labour").question("q_debt")
    assert [o.label["fr"] for o in question.options] == ["Oui", "Non"]


def test_instruments_dir_is_the_package_folder() -> None:
    assert INSTRUMENTS_DIR.name == "instruments" and (INSTRUMENTS_DIR / "README.md").exists()
