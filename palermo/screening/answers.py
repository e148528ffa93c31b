"""Cleaning submitted answers against an instrument, with translated messages per question.

The instrument's own parser (`Question.parse_answer`) decides what is valid; this module turns
its refusals into messages for the person at the keyboard, in their language, and adds the
limits of a stored text answer. "Not asked" and "declined" are answers of every question, and
never read as "no"; a question left without any answer is simply not stored (not asked).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from palermo.errors import invalid

from .instruments import (
    SPECIAL_ANSWERS,
    AnswerError,
    AnswerType,
    Instrument,
    Question,
)

MAX_TEXT_ANSWER = 2000
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_KEPT = {"\n", "\r", "\t", "\u200c", "\u200d"}

Answer = str | int | float | list[str]


def _message(question: Question) -> str:
    kind = question.answer_type
    if kind in (AnswerType.YES_NO, AnswerType.CHOICE):
        return _("Choose one of the listed answers.")
    if kind is AnswerType.MULTI_CHOICE:
        return _("Choose among the listed answers.")
    if kind is AnswerType.NUMBER:
        if question.minimum is not None and question.maximum is not None:
            return _("Enter a number between %(min)s and %(max)s.") % {
                "min": f"{question.minimum:g}",
                "max": f"{question.maximum:g}",
            }
        return _("Enter a number.")
    if kind is AnswerType.DATE:
        return _("Enter a date as YYYY-MM-DD.")
    return _("Enter text.")


def _clean_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > MAX_TEXT_ANSWER:
        raise ValueError(
            _("Use at most %(max)d characters (you entered %(length)d).")
            % {"max": MAX_TEXT_ANSWER, "length": len(text)}
        )
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES and c not in _KEPT for c in text):
        raise ValueError(_("Remove the control or invisible characters from this answer."))
    return text


def clean_answer(question: Question, raw: Any) -> Answer | None:
    """One answer, normalised for storage (a list for several choices); None: no answer.

    Raises ValueError with a translated message.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str) and raw in SPECIAL_ANSWERS:
        return raw
    if (
        isinstance(raw, list | tuple)
        and question.answer_type is not AnswerType.MULTI_CHOICE
        and any(v in SPECIAL_ANSWERS for v in raw)
    ):
        raise ValueError(_("Give an answer, or “not asked” or “prefers not to answer”, not both."))
    if question.answer_type is AnswerType.TEXT:
        if not isinstance(raw, str):
            raise ValueError(_message(question))
        raw = _clean_text(raw)
    elif question.answer_type is AnswerType.MULTI_CHOICE and isinstance(raw, list | tuple):
        specials = [v for v in raw if v in SPECIAL_ANSWERS]
        if specials:
            if len(raw) > 1:
                raise ValueError(
                    _("Choose answers, or “not asked” or “prefers not to answer”, not both.")
                )
            return str(specials[0])
        if not raw:
            return None
    try:
        value = question.parse_answer(raw)
    except AnswerError as exc:
        raise ValueError(_message(question)) from exc
    if isinstance(value, tuple):
        return list(value)
    return value


def clean_answers(
    instrument: Instrument, submitted: Mapping[str, Any], *, allowed: Iterable[str] | None = None
) -> dict[str, Answer | None]:
    """Answers to some questions of the instrument (all of them unless `allowed`).

    Raises ApplicationError (400) with a message per question id; nothing is returned in part.
    """
    questions = instrument.questions
    allowed_ids = set(allowed) if allowed is not None else set(questions)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Answer | None] = {}
    for question_id, raw in submitted.items():
        if question_id not in questions or question_id not in allowed_ids:
            errors[str(question_id)] = [_("This question is not part of this step.")]
            continue
        try:
            cleaned[question_id] = clean_answer(questions[question_id], raw)
        except ValueError as exc:
            errors[question_id] = [str(exc)]
    if errors:
        raise invalid(errors, _("Some answers need attention."))
    return cleaned
