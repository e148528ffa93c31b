"""How a step of the wizard and a result are laid out for the templates, in two languages.

Every question is shown in the interviewer's language and, next to it, in the interviewee's,
with its answers in both; "not asked" and "prefers not to answer" are separate choices from
"no". Nothing here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from .instruments import (
    DECLINED,
    NOT_ASKED,
    SPECIAL_ANSWERS,
    STANDARD_LABELS,
    AnswerType,
    Instrument,
    Question,
    QuestionGroup,
    localised,
)

FIELD_PREFIX = "q_"
SPECIAL_SUFFIX = "__special"
_INPUT_TYPES = {AnswerType.NUMBER: "number", AnswerType.DATE: "date", AnswerType.TEXT: "text"}


def field_name(question: Question) -> str:
    return FIELD_PREFIX + question.id


def submitted_answers(group: QuestionGroup, post: QueryDict) -> dict[str, Any]:
    """The answers a step's form posted, by question id (None: left unanswered).

    Radios and checkboxes carry option values or a special answer; a number, date or text
    field carries its value, and a separate choice carries "not asked" or "declined".
    """
    answers: dict[str, Any] = {}
    for question in group.questions:
        name = field_name(question)
        if question.answer_type is AnswerType.MULTI_CHOICE:
            values = [v for v in post.getlist(name) if v]
            answers[question.id] = values or None
        elif question.answer_type in _INPUT_TYPES:
            value = post.get(name, "").strip()
            special = post.get(name + SPECIAL_SUFFIX, "")
            if value and special:
                # Both given: let the cleaner refuse it with the question's own message.
                answers[question.id] = [value, special]
            else:
                answers[question.id] = value or special or None
        else:
            answers[question.id] = post.get(name) or None
    return answers


def _both(texts: Mapping[str, str], mine: str, theirs: str) -> dict[str, Any]:
    own = localised(texts, mine)
    other = localised(texts, theirs)
    return {"text": own, "other": other if other != own else "", "other_lang": theirs}


def question_context(
    question: Question,
    value: Any,
    *,
    mine: str,
    theirs: str,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    """One question for the template: its texts in both languages, its choices, its value."""
    kind = question.answer_type
    chosen: set[str] = set()
    if isinstance(value, list | tuple):
        chosen = {str(v) for v in value}
    elif value is not None:
        chosen = {str(value)}
    options = [
        {
            "value": option.value,
            **_both(option.label, mine, theirs),
            "checked": option.value in chosen,
            "id": f"id_{field_name(question)}_{option.value}",
        }
        for option in question.options
    ]
    special_name = field_name(question) + (SPECIAL_SUFFIX if kind in _INPUT_TYPES else "")
    specials = [
        {
            "value": special,
            **_both(STANDARD_LABELS[special], mine, theirs),
            "checked": special in chosen,
            "id": f"id_{field_name(question)}_{special}",
            "name": special_name,
        }
        for special in (NOT_ASKED, DECLINED)
    ]
    input_value = ""
    if kind in _INPUT_TYPES and value is not None:
        raw = value[0] if isinstance(value, list | tuple) and value else value
        if isinstance(raw, float):
            input_value = f"{raw:g}"
        elif str(raw) not in SPECIAL_ANSWERS:
            input_value = str(raw)
    return {
        "id": question.id,
        "name": field_name(question),
        "kind": "multi"
        if kind is AnswerType.MULTI_CHOICE
        else ("input" if kind in _INPUT_TYPES else "single"),
        "input_type": _INPUT_TYPES.get(kind, ""),
        "minimum": question.minimum,
        "maximum": question.maximum,
        "question": _both(question.text, mine, theirs),
        "help": localised(question.help, mine) if question.help else "",
        "options": options,
        "specials": specials,
        "input_value": input_value,
        "key": question.key,
        "errors": errors or [],
    }


def group_context(
    group: QuestionGroup,
    values: Mapping[str, Any],
    *,
    mine: str,
    theirs: str,
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    return {
        "id": group.id,
        "title": _both(group.title, mine, theirs),
        "intro": _both(group.intro, mine, theirs) if group.intro else None,
        "questions": [
            question_context(q, values.get(q.id), mine=mine, theirs=theirs, errors=errors.get(q.id))
            for q in group.questions
        ],
    }


def answer_text(question: Question, value: Any, language: str) -> str:
    """An answer as words, for the summary before completing."""
    if value is None:
        return ""
    values = value if isinstance(value, list | tuple) else [value]
    shown = []
    for item in values:
        if isinstance(item, str) and item in SPECIAL_ANSWERS:
            shown.append(localised(STANDARD_LABELS[item], language))
            continue
        option = question.option(item) if isinstance(item, str) else None
        shown.append(localised(option.label, language) if option else str(item))
    return ", ".join(shown)


def summary_context(
    instrument: Instrument, answers: Mapping[str, Any], language: str
) -> list[dict[str, Any]]:
    """Every step with its answers in words, and what is still without an answer."""
    groups = []
    for index, group in enumerate(instrument.groups):
        rows = []
        for question in group.questions:
            value = answers.get(question.id)
            rows.append(
                {
                    "id": question.id,
                    "question": localised(question.text, language),
                    "answer": answer_text(question, value, language),
                    "special": value if isinstance(value, str) and value in SPECIAL_ANSWERS else "",
                    "key": question.key,
                }
            )
        groups.append(
            {
                "index": index,
                "number": index + 1,
                "title": localised(group.title, language),
                "rows": rows,
                "unanswered": sum(1 for r in rows if not r["answer"]),
            }
        )
    return groups


# The explanation trail, in sections a reader can follow: from the answers to the outcome.
TRAIL_SECTIONS = (
    ("answers", ("answers.",)),
    ("indicators", ("indicator.",)),
    ("dimensions", ("dimension.",)),
    ("elements", ("element.", "age.")),
    ("outcome", ("coverage.", "context.", "outcome.")),
)


def trail_context(assessment: Mapping[str, Any], language: str) -> dict[str, list[str]]:
    """The stored explanation, by section, in the reader's language (English if missing)."""
    sections: dict[str, list[str]] = {name: [] for name, _prefixes in TRAIL_SECTIONS}
    for step in assessment.get("explanation", []):
        code = str(step.get("code", ""))
        messages = step.get("messages") or {}
        text = messages.get(language) or messages.get("en") or step.get("message", "")
        for name, prefixes in TRAIL_SECTIONS:
            if code.startswith(prefixes):
                sections[name].append(text)
                break
        else:
            sections["outcome"].append(text)
    return sections
