"""Screening instruments: versioned YAML files, loaded into frozen dataclasses.

An instrument is data, not code: its questions (in every UI language), the indicators each
answer raises, the indicators' grades and dimensions, and the decision thresholds. A country
adopts a revised set by editing or adding a file; `palermo/screening/instruments/README.md`
documents the format.

The loader is strict: a malformed file is refused with an `InstrumentError` naming the file,
the line and the reason, because a silently mis-read instrument would decide who is offered
protection. No Django import here: the rules, the CLI and the tests use it as plain Python.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The UI languages: every text of a shipped instrument exists in each of them.
LANGUAGES: tuple[str, ...] = ("en", "uk", "ro", "es", "pt", "fr")
INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"

# Special answers, accepted for every question and distinct from "no": nothing is inferred
# from a question that was not asked or that the person preferred not to answer.
NOT_ASKED = "not_asked"
DECLINED = "declined"
SPECIAL_ANSWERS = (NOT_ASKED, DECLINED)
YES = "yes"
NO = "no"

Text = dict[str, str]
AnswerValue = str | tuple[str, ...] | int | float

STANDARD_LABELS: dict[str, Text] = {
    YES: {"en": "Yes", "uk": "Так", "ro": "Da", "es": "Sí", "pt": "Sim", "fr": "Oui"},
    NO: {"en": "No", "uk": "Ні", "ro": "Nu", "es": "No", "pt": "Não", "fr": "Non"},
    NOT_ASKED: {
        "en": "Not asked",
        "uk": "Не запитано",
        "ro": "Întrebarea nu a fost pusă",
        "es": "No se preguntó",
        "pt": "Não foi perguntado",
        "fr": "Question non posée",
    },
    DECLINED: {
        "en": "Prefers not to answer",
        "uk": "Воліє не відповідати",
        "ro": "Preferă să nu răspundă",
        "es": "Prefiere no responder",
        "pt": "Prefere não responder",
        "fr": "Préfère ne pas répondre",
    },
}

# HTCDS 2.0 vocabularies (vic_TypeOfExploitation, vic_MethodsOfControl).
EXPLOITATION_TYPES: tuple[str, ...] = (
    "ForcedLabour",
    "SexualExploitation",
    "ChildLabour",
    "ForcedMarriage",
    "Servitude",
    "ForcedMilitaryByNonStateActors",
    "OrganRemoval",
    "ForcedBegging",
    "ForcedAdoption",
    "Surrogacy",
    "Other",
)
CONTROL_METHODS: tuple[str, ...] = (
    "PhysicalThreats",
    "ThreatsLawEnforcement",
    "ThreatensChildrenFamily",
    "DebtBondage",
    "FalsePromises",
    "PhysicalAbuse",
    "SexualAbuse",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "RestrictsMedicalCare",
    "WithholdsNecessities",
    "PsychologicalAbuse",
    "PsychoactiveSubstance",
    "ExcessiveWorkingHours",
    "WithholdsDocuments",
    "Other",
)


class AnswerType(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    TEXT = "text"
    DATE = "date"


class Strength(StrEnum):
    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


class Element(StrEnum):
    """The three elements of the Palermo Protocol definition (Article 3)."""

    ACT = "act"
    MEANS = "means"
    PURPOSE = "purpose"


class Population(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    ANY = "any"


class ExploitationScope(StrEnum):
    LABOUR = "labour"
    SEXUAL = "sexual"
    ANY = "any"


def localised(texts: Mapping[str, str], language: str) -> str:
    """The text in `language`, falling back to English (shipped files have all six)."""
    return texts.get(language) or texts.get("en") or ""


class InstrumentError(Exception):
    """A malformed instrument file: where (file, line) and why."""

    def __init__(self, file: str | Path, line: int | None, reason: str) -> None:
        self.file = str(file)
        self.line = line
        self.reason = reason
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {reason}")


class AnswerError(ValueError):
    """An answer that the instrument does not accept (unknown question, invalid value)."""

    def __init__(self, question_id: str, reason: str) -> None:
        self.question_id = question_id
        self.reason = reason
        super().__init__(f"{question_id}: {reason}")


# --------------------------------------------------------------------------------------
# The instrument, as the rules and the wizard see it
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOption:
    value: str
    label: Text
    # HTCDS types of exploitation this answer points to (context, not an indicator): e.g. the
    # sector "sex industry" names SexualExploitation once purpose is established, never alone.
    exploitation_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndicatorMapping:
    """Which answers to a question raise which indicators.

    `when` lists answer values (yes_no, choice: the answer is one of them; multi_choice: the
    answer contains one of them); `at_least` / `below` bound a number answer. `only_for`
    restricts the mapping to children or adults (e.g. any commercial sex involving a child is
    sexual exploitation; for an adult it is not an indicator by itself).
    """

    indicators: tuple[str, ...]
    when: tuple[str, ...] = ()
    at_least: float | None = None
    below: float | None = None
    only_for: Population = Population.ANY

    def applies_to(self, *, is_child: bool) -> bool:
        if self.only_for is Population.CHILD:
            return is_child
        if self.only_for is Population.ADULT:
            return not is_child
        return True

    def matches(self, answer: AnswerValue) -> bool:
        """True when this (already normalised, not special) answer raises the indicators."""
        if isinstance(answer, tuple):
            return any(value in self.when for value in answer)
        if isinstance(answer, int | float) and not isinstance(answer, bool):
            if self.at_least is not None and answer < self.at_least:
                return False
            if self.below is not None and answer >= self.below:
                return False
            return self.at_least is not None or self.below is not None
        return answer in self.when


@dataclass(frozen=True)
class Question:
    id: str
    text: Text
    help: Text
    answer_type: AnswerType
    options: tuple[AnswerOption, ...] = ()
    raises: tuple[IndicatorMapping, ...] = ()
    # Key questions count for the "insufficient information" rule when left unanswered.
    key: bool = False
    minimum: float | None = None
    maximum: float | None = None

    def option(self, value: str) -> AnswerOption | None:
        return next((option for option in self.options if option.value == value), None)

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for mapping in self.raises:
            seen.update(dict.fromkeys(mapping.indicators))
        return tuple(seen)

    def parse_answer(self, raw: Any) -> AnswerValue:
        """Normalise an answer (from JSON or a form) or raise AnswerError.

        None, "not_asked" and "declined" are accepted for every question; None means not asked.
        """
        if raw is None:
            return NOT_ASKED
        if isinstance(raw, str) and raw in SPECIAL_ANSWERS:
            return raw
        kind = self.answer_type
        if kind is AnswerType.YES_NO:
            if isinstance(raw, bool):
                return YES if raw else NO
            if raw in (YES, NO):
                return str(raw)
            raise AnswerError(self.id, f"expected 'yes' or 'no', got {raw!r}")
        if kind is AnswerType.CHOICE:
            if isinstance(raw, str) and self.option(raw):
                return raw
            raise AnswerError(self.id, f"{raw!r} is not one of {self._values()}")
        if kind is AnswerType.MULTI_CHOICE:
            if not isinstance(raw, list | tuple):
                raise AnswerError(
                    self.id, f"expected a list of options from {self._values()}, got {raw!r}"
                )
            unknown = [
                value for value in raw if not isinstance(value, str) or not self.option(value)
            ]
            if unknown:
                raise AnswerError(self.id, f"{unknown[0]!r} is not one of {self._values()}")
            chosen = set(raw)
            return tuple(option.value for option in self.options if option.value in chosen)
        if kind is AnswerType.NUMBER:
            return self._parse_number(raw)
        if kind is AnswerType.DATE:
            if isinstance(raw, str):
                try:
                    return datetime.date.fromisoformat(raw).isoformat()
                except ValueError:
                    pass
            raise AnswerError(self.id, f"expected a date as YYYY-MM-DD, got {raw!r}")
        if isinstance(raw, str):
            return raw
        raise AnswerError(self.id, f"expected text, got {raw!r}")

    def _parse_number(self, raw: Any) -> int | float:
        number: int | float
        if isinstance(raw, bool):
            raise AnswerError(self.id, f"expected a number, got {raw!r}")
        if isinstance(raw, int | float):
            number = raw
        elif isinstance(raw, str):
            try:
                number = int(raw) if re.fullmatch(r"-?\d+", raw.strip()) else float(raw)
            except ValueError:
                raise AnswerError(self.id, f"expected a number, got {raw!r}") from None
        else:
            raise AnswerError(self.id, f"expected a number, got {raw!r}")
        if not math.isfinite(number):
            raise AnswerError(self.id, f"expected a finite number, got {raw!r}")
        if self.minimum is not None and number < self.minimum:
            raise AnswerError(self.id, f"{number} is below the minimum {self.minimum:g}")
        if self.maximum is not None and number > self.maximum:
            raise AnswerError(self.id, f"{number} is above the maximum {self.maximum:g}")
        return number

    def _values(self) -> str:
        return ", ".join(repr(option.value) for option in self.options)


@dataclass(frozen=True)
class QuestionGroup:
    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text = field(default_factory=dict)


@dataclass(frozen=True)
class Indicator:
    id: str
    label: Text
    strength: Strength
    dimension: str
    element: Element  # the element of its dimension
    exploitation_types: tuple[str, ...] = ()  # HTCDS vic_TypeOfExploitation
    control_methods: tuple[str, ...] = ()  # HTCDS vic_MethodsOfControl

    @property
    def exploitation_type(self) -> tuple[str, ...]:
        return self.exploitation_types


@dataclass(frozen=True)
class Threshold:
    """A combination of graded indicators that makes a dimension positive (at least these)."""

    strong: int = 0
    medium: int = 0
    weak: int = 0

    def met(self, strong: int, medium: int, weak: int) -> bool:
        return strong >= self.strong and medium >= self.medium and weak >= self.weak

    def describe(self) -> str:
        parts = [
            f"{count} {grade}"
            for count, grade in (
                (self.strong, "strong"),
                (self.medium, "medium"),
                (self.weak, "weak"),
            )
            if count
        ]
        return " + ".join(parts)


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    element: Element
    thresholds: tuple[Threshold, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: Text
    population: Population
    exploitation_scope: ExploitationScope
    groups: tuple[QuestionGroup, ...]
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    # Share of key questions that may stay unanswered before the outcome is "insufficient".
    max_unanswered_key_share: float
    description: Text = field(default_factory=dict)
    source: str = ""
    age_question: str | None = None
    path: str = ""

    @functools.cached_property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for group in self.groups for q in group.questions}

    @functools.cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    @functools.cached_property
    def dimensions_by_id(self) -> dict[str, Dimension]:
        return {dimension.id: dimension for dimension in self.dimensions}

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    def indicator(self, indicator_id: str) -> Indicator:
        return self.indicators_by_id[indicator_id]

    def dimension(self, dimension_id: str) -> Dimension:
        return self.dimensions_by_id[dimension_id]

    @property
    def key_questions(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions.values() if q.key)

    def check_answers(self, answers: Mapping[str, Any]) -> dict[str, AnswerValue]:
        """Every question's normalised answer (missing ones are "not_asked").

        Raises AnswerError for an unknown question id or an invalid value.
        """
        if not isinstance(answers, Mapping):
            raise AnswerError("answers", "expected an object mapping question ids to answers")
        for question_id in answers:
            if question_id not in self.questions:
                raise AnswerError(str(question_id), f"no such question in instrument {self.id}")
        return {
            question_id: question.parse_answer(answers.get(question_id))
            for question_id, question in self.questions.items()
        }


# --------------------------------------------------------------------------------------
# The file schema (pydantic), then cross-reference checks, both reporting lines
# --------------------------------------------------------------------------------------

_ID = r"^[a-z][a-z0-9_]*$"
_INSTRUMENT_ID = r"^[a-z][a-z0-9-]*[a-z0-9]$"
_VALUE = r"^[a-z0-9][a-z0-9_]*$"


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _OptionFile(_Schema):
    value: str = Field(pattern=_VALUE)
    label: Text
    raises: list[str] = []
    exploitation_types: list[str] = []


class _MappingFile(_Schema):
    indicators: list[str] = Field(min_length=1)
    when: list[str] | None = None
    at_least: float | None = None
    below: float | None = None
    only_for: Literal["adult", "child"] | None = None


class _QuestionFile(_Schema):
    id: str = Field(pattern=_ID)
    text: Text
    help: Text = {}
    answer_type: Literal["yes_no", "choice", "multi_choice", "number", "text", "date"]
    options: list[_OptionFile] = []
    raises: list[_MappingFile] = []
    key: bool = False
    minimum: float | None = None
    maximum: float | None = None


class _GroupFile(_Schema):
    id: str = Field(pattern=_ID)
    title: Text
    intro: Text = {}
    questions: list[_QuestionFile] = Field(min_length=1)


class _ThresholdFile(_Schema):
    strong: int = Field(default=0, ge=0)
    medium: int = Field(default=0, ge=0)
    weak: int = Field(default=0, ge=0)


class _DimensionFile(_Schema):
    id: str = Field(pattern=_ID)
    label: Text
    element: Literal["act", "means", "purpose"]
    thresholds: list[_ThresholdFile] | None = None


class _IndicatorFile(_Schema):
    id: str = Field(pattern=_ID)
    label: Text
    strength: Literal["strong", "medium", "weak"]
    dimension: str
    exploitation_types: list[str] = []
    control_methods: list[str] = []


class _DecisionFile(_Schema):
    thresholds: list[_ThresholdFile] = Field(min_length=1)
    max_unanswered_key_share: float = Field(ge=0, le=1)
    age_question: str | None = None


class _InstrumentFile(_Schema):
    id: str = Field(pattern=_INSTRUMENT_ID)
    version: str = Field(min_length=1)
    title: Text
    description: Text = {}
    source: str = ""
    population: Literal["adult", "child", "any"]
    exploitation_scope: Literal["labour", "sexual", "any"]
    decision: _DecisionFile
    dimensions: list[_DimensionFile] = Field(min_length=1)
    indicators: list[_IndicatorFile] = Field(min_length=1)
    groups: list[_GroupFile] = Field(min_length=1)


Path_ = tuple[str | int, ...]


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so that yes/no/on/off stay strings.

    Answer values "yes" and "no" are everywhere in these files; YAML 1.1 would read them as
    booleans and silently break the mappings.
    """


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _line_map(node: yaml.Node, file: str) -> dict[Path_, int]:
    """1-based line of every key and item, by path; duplicate keys are refused here."""
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}

    def walk(current: yaml.Node, path: Path_) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = str(key_node.value)
                if key in seen:
                    raise InstrumentError(
                        file, key_node.start_mark.line + 1, f"duplicate key {key!r}"
                    )
                seen.add(key)
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                lines[(*path, index)] = item.start_mark.line + 1
                walk(item, (*path, index))

    walk(node, ())
    return lines


def _line_for(lines: Mapping[Path_, int], path: Iterable[str | int]) -> int:
    """The line of the deepest known part of `path` (a missing key: its parent's line)."""
    parts = tuple(path)
    while parts and parts not in lines:
        parts = parts[:-1]
    return lines.get(parts, 1)


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


class _Problems:
    """Collects problems as (line, reason) and raises the first one found."""

    def __init__(self, file: str, lines: Mapping[Path_, int]) -> None:
        self.file = file
        self.lines = lines
        self.found: list[tuple[int, str]] = []

    def add(self, path: Path_, reason: str) -> None:
        self.found.append((_line_for(self.lines, path), f"{_dotted(path)}: {reason}"))

    def raise_if_any(self) -> None:
        # The first problem found, in the order of the checks: later ones are often consequences
        # (an indicator pointing to a misspelt dimension leaves that dimension empty).
        if self.found:
            line, reason = self.found[0]
            error = InstrumentError(self.file, line, reason)
            error.problems = list(self.found)  # type: ignore[attr-defined]
            raise error


def _check_text(
    problems: _Problems, path: Path_, texts: Mapping[str, str], *, required: bool
) -> None:
    if not texts and not required:
        return
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown:
        problems.add(
            path, f"unknown language(s) {', '.join(unknown)}; expected {', '.join(LANGUAGES)}"
        )
    missing = [lang for lang in LANGUAGES if not str(texts.get(lang, "")).strip()]
    if missing:
        problems.add(path, f"missing translation(s): {', '.join(missing)}")


def _check_cross_references(raw: _InstrumentFile, problems: _Problems) -> None:
    _check_text(problems, ("title",), raw.title, required=True)
    _check_text(problems, ("description",), raw.description, required=False)

    def unique(kind: str, items: Sequence[tuple[Path_, str]]) -> set[str]:
        seen: set[str] = set()
        for path, ident in items:
            if ident in seen:
                problems.add(path, f"duplicate {kind} id {ident!r}")
            seen.add(ident)
        return seen

    def check_thresholds(path: Path_, thresholds: list[_ThresholdFile]) -> None:
        for index, threshold in enumerate(thresholds):
            if threshold.strong == 0 and threshold.medium == 0:
                problems.add(
                    (*path, index),
                    "a threshold must require at least one strong or medium indicator "
                    "(weak indicators alone never make a dimension positive)",
                )

    check_thresholds(("decision", "thresholds"), raw.decision.thresholds)
    dimension_ids = unique(
        "dimension", [(("dimensions", i, "id"), d.id) for i, d in enumerate(raw.dimensions)]
    )
    for i, dimension in enumerate(raw.dimensions):
        _check_text(problems, ("dimensions", i, "label"), dimension.label, required=True)
        if dimension.thresholds is not None:
            if not dimension.thresholds:
                problems.add(("dimensions", i, "thresholds"), "must list at least one threshold")
            check_thresholds(("dimensions", i, "thresholds"), dimension.thresholds)
    for element in Element:
        if not any(d.element == element for d in raw.dimensions):
            problems.add(("dimensions",), f"no dimension establishes the element {element.value!r}")

    indicator_ids = unique(
        "indicator", [(("indicators", i, "id"), ind.id) for i, ind in enumerate(raw.indicators)]
    )
    for i, indicator in enumerate(raw.indicators):
        path: Path_ = ("indicators", i)
        _check_text(problems, (*path, "label"), indicator.label, required=True)
        if indicator.dimension not in dimension_ids:
            problems.add((*path, "dimension"), f"unknown dimension {indicator.dimension!r}")
        for j, kind in enumerate(indicator.exploitation_types):
            if kind not in EXPLOITATION_TYPES:
                problems.add(
                    (*path, "exploitation_types", j),
                    f"{kind!r} is not an HTCDS type of exploitation",
                )
        for j, method in enumerate(indicator.control_methods):
            if method not in CONTROL_METHODS:
                problems.add(
                    (*path, "control_methods", j), f"{method!r} is not an HTCDS method of control"
                )
    used_dimensions = {indicator.dimension for indicator in raw.indicators}
    for i, dimension in enumerate(raw.dimensions):
        if dimension.id not in used_dimensions:
            problems.add(("dimensions", i, "id"), f"dimension {dimension.id!r} has no indicators")

    unique("group", [(("groups", g, "id"), group.id) for g, group in enumerate(raw.groups)])
    question_items = [
        (("groups", g, "questions", q, "id"), question.id)
        for g, group in enumerate(raw.groups)
        for q, question in enumerate(group.questions)
    ]
    unique("question", question_items)
    raised: set[str] = set()
    questions_by_id: dict[str, _QuestionFile] = {}
    for g, group in enumerate(raw.groups):
        _check_text(problems, ("groups", g, "title"), group.title, required=True)
        _check_text(problems, ("groups", g, "intro"), group.intro, required=False)
        for q, question in enumerate(group.questions):
            questions_by_id[question.id] = question
            raised |= _check_question(
                problems, ("groups", g, "questions", q), question, indicator_ids
            )
    for i, indicator in enumerate(raw.indicators):
        if indicator.id not in raised:
            problems.add(
                ("indicators", i, "id"), f"indicator {indicator.id!r} is not raised by any question"
            )

    age = raw.decision.age_question
    if age is not None:
        if age not in questions_by_id:
            problems.add(("decision", "age_question"), f"unknown question {age!r}")
        elif questions_by_id[age].answer_type != "number":
            problems.add(
                ("decision", "age_question"), f"question {age!r} must have answer_type number"
            )


def _check_question(
    problems: _Problems, path: Path_, question: _QuestionFile, indicator_ids: set[str]
) -> set[str]:
    """Checks one question; returns the indicator ids it can raise."""
    _check_text(problems, (*path, "text"), question.text, required=True)
    _check_text(problems, (*path, "help"), question.help, required=False)
    kind = question.answer_type
    raised: set[str] = set()
    if kind in ("choice", "multi_choice"):
        if len(question.options) < 2:
            problems.add((*path, "options"), f"a {kind} question needs at least two options")
        values: set[str] = set()
        for o, option in enumerate(question.options):
            option_path: Path_ = (*path, "options", o)
            if option.value in values:
                problems.add((*option_path, "value"), f"duplicate option value {option.value!r}")
            if option.value in SPECIAL_ANSWERS:
                problems.add(
                    (*option_path, "value"), f"{option.value!r} is a reserved answer value"
                )
            values.add(option.value)
            _check_text(problems, (*option_path, "label"), option.label, required=True)
            for r, indicator in enumerate(option.raises):
                if indicator not in indicator_ids:
                    problems.add((*option_path, "raises", r), f"unknown indicator {indicator!r}")
                raised.add(indicator)
            for t, hint in enumerate(option.exploitation_types):
                if hint not in EXPLOITATION_TYPES:
                    problems.add(
                        (*option_path, "exploitation_types", t),
                        f"{hint!r} is not an HTCDS type of exploitation",
                    )
    elif question.options:
        problems.add(
            (*path, "options"),
            f"a {kind} question takes no options (yes_no has the standard yes/no)",
        )
        values = set()
    else:
        values = {YES, NO} if kind == "yes_no" else set()

    if kind not in ("number",) and (question.minimum is not None or question.maximum is not None):
        problems.add(
            (*path, "minimum" if question.minimum is not None else "maximum"),
            "only a number question has bounds",
        )
    if (
        question.minimum is not None
        and question.maximum is not None
        and question.minimum > question.maximum
    ):
        problems.add((*path, "maximum"), "maximum is below minimum")

    for m, mapping in enumerate(question.raises):
        mapping_path: Path_ = (*path, "raises", m)
        for i, indicator in enumerate(mapping.indicators):
            if indicator not in indicator_ids:
                problems.add((*mapping_path, "indicators", i), f"unknown indicator {indicator!r}")
            raised.add(indicator)
        if kind in ("text", "date"):
            problems.add(mapping_path, f"a {kind} question cannot raise indicators")
        elif kind == "number":
            if mapping.when is not None:
                problems.add(
                    (*mapping_path, "when"),
                    "a number question maps with at_least / below, not when",
                )
            if mapping.at_least is None and mapping.below is None:
                problems.add(mapping_path, "a number mapping needs at_least or below")
        else:
            if mapping.at_least is not None or mapping.below is not None:
                problems.add(mapping_path, "at_least / below apply to number questions only")
            if not mapping.when:
                problems.add(
                    mapping_path, "a mapping needs 'when': the answer values that raise it"
                )
            for w, value in enumerate(mapping.when or []):
                if value not in values:
                    expected = ", ".join(sorted(values))
                    problems.add(
                        (*mapping_path, "when", w),
                        f"{value!r} is not an answer of this question ({expected})",
                    )
    return raised


def parse_instrument(text: str, file: str | Path = "<instrument>") -> Instrument:
    """Parse and check an instrument from YAML text; raises InstrumentError."""
    name = str(file)
    try:
        loader = _YamlLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise InstrumentError(name, 1, "the file is empty")
            lines = _line_map(node, name)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        # An unclosed bracket is found at the next token; its opening (the context) is the culprit.
        mark = error.context_mark or error.problem_mark
        reason = " ".join(part for part in (error.context, error.problem) if part)
        raise InstrumentError(
            name, mark.line + 1 if mark else None, f"invalid YAML: {reason}"
        ) from None
    except yaml.YAMLError as error:
        raise InstrumentError(name, None, f"invalid YAML: {error}") from None

    problems = _Problems(name, lines)
    if not isinstance(data, dict):
        raise InstrumentError(name, 1, "an instrument file is a mapping (id, version, title, …)")
    try:
        raw = _InstrumentFile.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(part for part in item["loc"] if isinstance(part, str | int))
            problems.add(loc, item["msg"])
        problems.raise_if_any()
        raise  # unreachable: a ValidationError always has errors
    _check_cross_references(raw, problems)
    problems.raise_if_any()
    return _build(raw, name)


def _build(raw: _InstrumentFile, path: str) -> Instrument:
    dimensions = tuple(
        Dimension(
            id=d.id,
            label=dict(d.label),
            element=Element(d.element),
            thresholds=tuple(
                Threshold(t.strong, t.medium, t.weak)
                for t in (d.thresholds if d.thresholds is not None else raw.decision.thresholds)
            ),
        )
        for d in raw.dimensions
    )
    element_of = {d.id: d.element for d in dimensions}
    indicators = tuple(
        Indicator(
            id=i.id,
            label=dict(i.label),
            strength=Strength(i.strength),
            dimension=i.dimension,
            element=element_of[i.dimension],
            exploitation_types=tuple(i.exploitation_types),
            control_methods=tuple(i.control_methods),
        )
        for i in raw.indicators
    )
    groups = tuple(
        QuestionGroup(
            id=g.id,
            title=dict(g.title),
            intro=dict(g.intro),
            questions=tuple(_build_question(q) for q in g.questions),
        )
        for g in raw.groups
    )
    return Instrument(
        id=raw.id,
        version=raw.version,
        title=dict(raw.title),
        description=dict(raw.description),
        source=raw.source,
        population=Population(raw.population),
        exploitation_scope=ExploitationScope(raw.exploitation_scope),
        groups=groups,
        dimensions=dimensions,
        indicators=indicators,
        max_unanswered_key_share=raw.decision.max_unanswered_key_share,
        age_question=raw.decision.age_question,
        path=path,
    )


def _build_question(q: _QuestionFile) -> Question:
    kind = AnswerType(q.answer_type)
    if kind is AnswerType.YES_NO:
        options = tuple(AnswerOption(value, dict(STANDARD_LABELS[value])) for value in (YES, NO))
    else:
        options = tuple(
            AnswerOption(o.value, dict(o.label), tuple(o.exploitation_types)) for o in q.options
        )
    mappings = [
        IndicatorMapping(
            indicators=tuple(m.indicators),
            when=tuple(m.when or ()),
            at_least=m.at_least,
            below=m.below,
            only_for=Population(m.only_for) if m.only_for else Population.ANY,
        )
        for m in q.raises
    ]
    # Option-level `raises` is shorthand for a question-level mapping on that value.
    mappings.extend(
        IndicatorMapping(indicators=tuple(o.raises), when=(o.value,)) for o in q.options if o.raises
    )
    return Question(
        id=q.id,
        text=dict(q.text),
        help=dict(q.help),
        answer_type=kind,
        options=options,
        raises=tuple(mappings),
        key=q.key,
        minimum=q.minimum,
        maximum=q.maximum,
    )


def load_instrument(path: str | Path) -> Instrument:
    """Load and check one instrument file; raises InstrumentError (file, line, reason)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InstrumentError(path, None, f"cannot read the file: {error}") from None
    return parse_instrument(text, path)


def instrument_files(directory: Path = INSTRUMENTS_DIR) -> Iterator[Path]:
    yield from sorted(directory.glob("*.yaml"))


def load_instruments(directory: str | Path) -> dict[str, Instrument]:
    """Every instrument file (*.yaml) in a directory, by id.

    Two files with the same id are refused: an id must name one version of one instrument.
    """
    found: dict[str, Instrument] = {}
    for path in instrument_files(Path(directory)):
        instrument = load_instrument(path)
        if instrument.id in found:
            raise InstrumentError(
                path,
                1,
                f"instrument id {instrument.id!r} is also used by {found[instrument.id].path}",
            )
        found[instrument.id] = instrument
    return found


@functools.cache
def all_instruments() -> dict[str, Instrument]:
    """Every instrument shipped under palermo/screening/instruments/, by id (loaded once)."""
    return load_instruments(INSTRUMENTS_DIR)


def get_instrument(instrument_id: str) -> Instrument:
    """The shipped instrument with this id; KeyError if there is none."""
    return all_instruments()[instrument_id]
